from rest_framework import serializers
from rest_framework.validators import UniqueTogetherValidator

from ..forms import restrict_choices


class CrmModelSerializer(serializers.ModelSerializer):
    """Base serializer: related-object choices limited to what the caller may see. `version` is
    read back; a client that sends it on an update gets 409 if the record changed since (an
    update without it applies to the current version, like a plain PATCH)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            for f in self.fields.values():
                target = getattr(f, "child_relation", f)
                qs = getattr(target, "queryset", None)
                if (
                    qs is not None
                    and hasattr(qs, "visible_to")
                    and not getattr(qs.model, "CHOICES_FOR_ALL_USERS", False)
                ):
                    target.queryset = qs.visible_to(request.user, "view")
        if "version" in self.fields:
            self.fields["version"] = serializers.IntegerField(
                required=False, help_text="Version read; send it back on update."
            )

    def get_validators(self):
        # Multi-field uniqueness is left to the model (the service's full_clean), so the API answers
        # with the same field error as the form ("code": ...), not DRF's generic non-field text.
        return [v for v in super().get_validators() if not isinstance(v, UniqueTogetherValidator)]

    def validate(self, attrs):
        attrs.pop("version", None)
        return attrs


def serializer_for(model, fields):
    fields = list(fields)
    if any(f.name == "version" for f in model._meta.concrete_fields) and "version" not in fields:
        fields.append("version")
    meta = type("Meta", (), {"model": model, "fields": fields})
    return type(f"{model.__name__}Serializer", (CrmModelSerializer,), {"Meta": meta})


__all__ = ["CrmModelSerializer", "serializer_for", "restrict_choices"]
