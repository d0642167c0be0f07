from core.api.serializers import CrmModelSerializer

from ..models import SystemParameter


class SystemParameterSerializer(CrmModelSerializer):
    """Only the value is editable: key, kind and labels are declared in basedata/parameters.py."""

    class Meta:
        model = SystemParameter
        fields = ["id", "key", "label", "label_en", "group", "kind", "value", "description", "version"]
        read_only_fields = ["key", "label", "label_en", "group", "kind", "description"]
