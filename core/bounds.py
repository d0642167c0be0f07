"""Values from the outside world (query strings, JSON bodies, URLs, forms) checked against what a
database column can hold, before they reach a query.

SQLite stores 64-bit integers and PostgreSQL's bigint is the same size; a larger value reaching a
query raised OverflowError (SQLite) or DataError (PostgreSQL) — a 500 for `?city=99…9`. Django
turns an out-of-range `pk=` into "no row" by itself, but not a foreign key (`city_id=`) or an
`__in` list, so every id and number is checked here first and refused with a field error.
Date-times are stored in UTC: 0001-01-01 00:00 in Beijing is year 0 there (OverflowError).
"""

import datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def column_range(model_field):
    """(lowest, highest) value the column of an integer field (or a foreign key to one) holds,
    or None for a field that is not a whole number."""
    if model_field.is_relation:
        # A foreign key, many-to-many or reverse relation is compared with the remote key.
        model_field = getattr(model_field, "target_field", None)
    if not isinstance(model_field, models.IntegerField):  # AutoFields are IntegerFields
        return None
    try:
        low, high = connection.ops.integer_field_range(model_field.get_internal_type())
    except KeyError:  # a custom integer type: what any backend's widest column holds
        low, high = None, None
    return (INT64_MIN if low is None else low, INT64_MAX if high is None else high)


def field_range(model, path):
    """column_range() of the field a filter's `field_name` (e.g. "customer_id", "city") names."""
    if model is None or not path:
        return None
    field = None
    try:
        for part in path.split("__"):
            if field is not None:
                if not field.is_relation or field.related_model is None:
                    return None  # a lookup such as `date` or `year`: not a column of its own
                model = field.related_model
            field = model._meta.get_field(part)
    except FieldDoesNotExist:
        return None
    return column_range(field)


def as_int(value):
    """`value` as an int if it is one written in plain digits (an optional sign), else None;
    never int() of an unbounded string (Python refuses over 4,300 digits with a ValueError, and
    a bool is an int)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits or len(digits) > 40 or not digits.isascii() or not digits.isdigit():
        return None
    return int(text)


def out_of_range(value, bounds=(INT64_MIN, INT64_MAX)):
    """True when `value` is a whole number that the column cannot hold."""
    number = as_int(value)
    if number is None:
        text = str(value).strip().lstrip("+-")
        # A run of digits too long for as_int() is out of range of any column.
        return text.isascii() and text.isdigit() and len(text) > 40
    return not bounds[0] <= number <= bounds[1]


def parse_id(value):
    """A positive id written in digits and within a bigint, else None (for ids read by hand from
    a query string, e.g. the region cascade of a filter bar)."""
    number = as_int(value)
    return number if number is not None and 0 < number <= INT64_MAX else None


def validate_datetime_range(value):
    """A date-time that UTC can express (the database stores UTC): refused as a field error."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        try:
            value.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(_("Datetime value out of range."), code="overflow") from None


def bound_datetime_fields(models_):
    """Give every DateTimeField of `models_` the range check: forms (through the model's
    full_clean), API serializers (which copy model validators) and services alike.

    Set on the field's computed `validators` (a cached_property), not its `_validators`: those
    are part of the field's deconstruction, and every DateTimeField would need a migration."""
    for model in models_:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField) and validate_datetime_range not in field.validators:
                field.__dict__["validators"] = [*field.validators, validate_datetime_range]
