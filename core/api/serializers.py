from django.db import models
from rest_framework import serializers
from rest_framework.validators import UniqueTogetherValidator

from ..bounds import INT64_MAX, column_range, out_of_range
from ..choice_cache import scoped_choices
from ..files import is_attachment_field, validate_attachment
from ..forms import restrict_choices
from .files import AttachmentField


class IdField(serializers.IntegerField):
    """The id of a record in a request body: a whole number a bigint column holds (1 … 2**63-1).
    An unbounded IntegerField let `[10**30]` reach `pk__in` (OverflowError, a 500)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)


class IdListField(serializers.ListField):
    """A list of ids (IdField); `max_length` bounds the work one request asks for."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", IdField())
        super().__init__(**kwargs)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key or many-to-many item in a body: an id the key column cannot hold is "does not
    exist" before any query (whatever lookup the queryset runs), like an unknown one."""

    def to_internal_value(self, data):
        queryset = self.get_queryset()
        bounds = column_range(queryset.model._meta.pk) if queryset is not None else None
        if self.pk_field is None and bounds is not None and out_of_range(data, bounds):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)

    def get_queryset(self):
        # Only rows the caller may view, whatever queryset the field was given and wherever it
        # sits (a nested serializer too): an id outside the scope is "does not exist", a 400.
        queryset = super().get_queryset()
        if queryset is not None and scoped_choices(queryset.model):
            request = self.context.get("request")
            queryset = queryset.visible_to(getattr(request, "user", None), "view")
        return queryset


class CrmDateTimeField(serializers.DateTimeField):
    """DRF's own check of a naive value converts it to UTC and raised OverflowError for the first
    hours of year 1 in a zone east of UTC (a 500): "out of range" like an aware one."""

    def enforce_timezone(self, value):
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")


class CrmModelSerializer(serializers.ModelSerializer):
    """Base serializer: related-object choices limited to what the caller may see. `version` is
    read back; a client that sends it on an update gets 409 if the record changed since (an
    update without it applies to the current version, like a plain PATCH)."""

    serializer_related_field = IdRelatedField
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: CrmDateTimeField,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and getattr(request, "user", None) is not None:
            for f in self.fields.values():
                target = getattr(f, "child_relation", f)
                qs = getattr(target, "queryset", None)
                if qs is not None and scoped_choices(qs.model) and not isinstance(target, IdRelatedField):
                    target.queryset = qs.visible_to(request.user, "view")  # IdRelatedField scopes itself
        if "version" in self.fields:
            self.fields["version"] = serializers.IntegerField(
                required=False, help_text="Version read; send it back on update."
            )

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if is_attachment_field(model_field.model, model_field.name):
            # Same type/size/content rules as the forms; read back as the checked download URL.
            field_class = AttachmentField
            kwargs["validators"] = [*kwargs.get("validators", []), validate_attachment]
            kwargs.setdefault(
                "help_text",
                "Upload as multipart/form-data (types and size: system parameters attachment_extensions, "
                "attachment_max_mb). Read back as the URL of the scope-checked download.",
            )
        return field_class, kwargs

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


__all__ = ["CrmModelSerializer", "IdField", "IdListField", "IdRelatedField", "serializer_for", "restrict_choices"]
