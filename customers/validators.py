"""Field validation for Chinese business data (CUS-2), with messages in both languages."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland mobile prefixes of China Mobile, Unicom, Telecom, Broadnet and virtual operators.
MOBILE_RE = re.compile(r"^1(3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
POSTAL_RE = re.compile(r"^\d{6}$")
QQ_RE = re.compile(r"^[1-9]\d{4,19}$")


def validate_mobile(value):
    if value and not MOBILE_RE.match(value):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number with a valid carrier prefix, e.g. 13812345678."),
            code="mobile",
        )


def validate_phone(value):
    """A landline with area code (010-12345678, 0755-1234567-801) or a mobile number."""
    if value and not (LANDLINE_RE.match(value) or MOBILE_RE.match(value)):
        raise ValidationError(
            _("Enter a landline with area code (e.g. 010-12345678) or an 11-digit mobile number."), code="phone"
        )


def validate_postal_code(value):
    if value and not POSTAL_RE.match(value):
        raise ValidationError(_("A postal code is exactly 6 digits."), code="postal_code")


def validate_qq(value):
    if value and not QQ_RE.match(value):
        raise ValidationError(_("A QQ number has digits only (5–20), not starting with 0."), code="qq")
