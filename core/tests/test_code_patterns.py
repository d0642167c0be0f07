"""Code patterns run no code (issue 10 item 9): only {yyyy} {mm} {dd} {seq} {seq:0N}, checked on
save (web form and API), formatted without str.format; a bad stored pattern stops no create."""

import re
from datetime import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from basedata.models import SystemParameter
from basedata.parameters import clear_cache
from core.sequences import code_prefix, format_code, validate_code_pattern
from core.testing.helpers import assert_unchanged, snapshot

NOW = timezone.make_aware(datetime(2026, 3, 7, 12, 0))
BAD = [
    "KH{yyyy",
    "KH{yyyy}}-{seq}",
    "{seq.__class__.__name__}",
    "{seq.__class__}",
    "{seq[0]}",
    "{seq!r}",
    "{seq:>6}",
    "{seq:06}{seq}",
    "KH{yyyy}{mm}",  # no number: every code the same
    "{0}{seq}",
    "{}{seq}",
    "{yyyy:%Y}{seq}",
    "{seq:013}",
    "KH\n{seq}",
]


def test_format_code():
    assert format_code("KH{yyyy}{mm}-{seq:06}", 201, NOW) == "KH202603-000201"
    assert format_code("DD{yyyy}{mm}{dd}-{seq:05}", 7, NOW) == "DD20260307-00007"
    assert format_code("C-{seq}", 1234567, NOW) == "C-1234567"
    assert format_code("{seq:02}", 100, NOW) == "100"  # past the padding
    assert format_code("客户{seq:03}号", 5, NOW) == "客户005号"
    assert code_prefix("KH{yyyy}{mm}-{seq:06}/{dd}", NOW) == "KH202603-"


@pytest.mark.parametrize("pattern", ["KH{yyyy}{mm}-{seq:06}", "{seq}", "A{dd}{mm}{yyyy}{seq:012}B", "KH %-_{seq:01}"])
def test_valid_patterns(pattern):
    validate_code_pattern(pattern)


@pytest.mark.parametrize("pattern", BAD)
def test_invalid_patterns_are_refused(pattern):
    with pytest.raises(ValidationError):
        validate_code_pattern(pattern)
    with pytest.raises(ValidationError):
        format_code(pattern, 1, NOW)


def test_patterns_making_codes_longer_than_the_column_are_refused():
    validate_code_pattern("K" * 31 + "{seq}")  # 31 + a billion codes' 9 digits = 40
    with pytest.raises(ValidationError, match="longer than 40"):
        validate_code_pattern("K" * 32 + "{seq}")


def test_every_default_pattern_is_valid(db):
    from basedata.parameters import DEFAULTS

    patterns = [key for key in DEFAULTS if key.endswith("_code_pattern")]
    assert {"customer_code_pattern", "contract_code_pattern", "order_code_pattern", "ticket_code_pattern"} <= set(
        patterns
    )
    for key in patterns:
        validate_code_pattern(DEFAULTS[key][2])


@pytest.mark.parametrize("key", ["customer_code_pattern", "contract_code_pattern", "order_code_pattern"])
@pytest.mark.parametrize("value", ["KH{yyyy", "{seq.__class__.__name__}"])
def test_api_patch_refuses_a_bad_pattern(api, org, key, value):
    param = SystemParameter.objects.get(key=key)
    before = snapshot(param)
    response = api("admin").patch(f"/api/v1/parameters/{param.pk}/", {"value": value}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["value"]
    assert_unchanged(param, before)


def test_web_form_refuses_a_bad_pattern(web, org):
    param = SystemParameter.objects.get(key="customer_code_pattern")
    before = snapshot(param)
    response = web("admin").post(
        f"/basedata/parameters/{param.pk}/edit/", {"value": "KH{seq.__class__.__name__}", "_version": param.version}
    )
    assert response.status_code == 200
    assert "is not a placeholder" in str(response.context["form"].errors["value"])
    assert_unchanged(param, before)


def test_a_good_pattern_is_saved(api, org):
    param = SystemParameter.objects.get(key="customer_code_pattern")
    response = api("admin").patch(f"/api/v1/parameters/{param.pk}/", {"value": "C{yyyy}-{seq:04}"}, format="json")
    assert response.status_code == 200, response.content
    param.refresh_from_db()
    assert param.value == "C{yyyy}-{seq:04}"


@pytest.mark.parametrize("stored", ["KH{yyyy", "{seq.__class__.__name__}", "KH{yyyy}{mm}"])
def test_a_bad_stored_pattern_falls_back_to_the_default(api, org, stored, caplog):
    """A row written past the validation (a direct database edit, an older version) must not
    make every customer create fail: the default pattern is used and the fault logged."""
    SystemParameter.objects.filter(key="customer_code_pattern").update(value=stored)
    clear_cache()
    response = api("alice").post("/api/v1/customers/", {"name": "回退编号测试有限公司"}, format="json")
    assert response.status_code == 201, response.content
    now = timezone.localtime()
    assert re.fullmatch(rf"KH{now:%Y}{now:%m}-\d{{6}}", response.json()["code"])
    assert "int" not in response.json()["code"]
    assert "Invalid code pattern" in caplog.text
