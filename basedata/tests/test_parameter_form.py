"""Typed system parameters get typed controls (issue 11 item 12)."""

import pytest

from basedata.models import SystemParameter

pytestmark = pytest.mark.django_db


def _param(key):
    return SystemParameter.objects.get(key=key)


def _edit(web, key):
    return f"/basedata/parameters/{_param(key).pk}/edit/"


def test_yes_no_parameter_is_a_pair_of_radios(org, web):
    html = web("admin").get(_edit(web, "data_review_enabled")).content.decode()
    assert 'type="radio"' in html and 'name="value"' in html
    assert 'type="text" name="value"' not in html


def test_yes_no_saves_one_or_zero(org, web):
    p = _param("data_review_enabled")
    response = web("admin").post(_edit(web, "data_review_enabled"), {"value": "1", "_version": p.version})
    assert response.status_code == 302
    assert _param("data_review_enabled").value == "1"
    response = web("admin").post(_edit(web, "data_review_enabled"), {"value": "maybe", "_version": p.version + 1})
    assert response.status_code == 200 and _param("data_review_enabled").value == "1"


def test_number_parameter_is_a_number_input_and_refuses_text(org, web):
    key = "pool_recycle_days"
    html = web("admin").get(_edit(web, key)).content.decode()
    assert 'type="number" name="value"' in html
    before = _param(key).value
    response = web("admin").post(_edit(web, key), {"value": "abc", "_version": _param(key).version})
    assert response.status_code == 200 and _param(key).value == before
    response = web("admin").post(_edit(web, key), {"value": "45", "_version": _param(key).version})
    assert response.status_code == 302 and _param(key).value == "45"


def test_text_parameter_keeps_a_text_box(org, web):
    html = web("admin").get(_edit(web, "company_name")).content.decode()
    assert 'name="value"' in html and 'type="radio"' not in html
