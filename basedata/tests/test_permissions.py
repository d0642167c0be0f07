"""Basedata rules the generic persona suite (core/tests/test_persona_suite.py) does not state:
buttons follow the permissions, parameters are neither added nor deleted, key and kind read-only."""

import pytest

from basedata.models import SystemParameter
from core.testing.helpers import assert_unchanged, snapshot

from .factories import make_item, make_regions, make_type

pytestmark = pytest.mark.django_db

READERS = ["alice", "bob", "charlie", "manager", "agent", "exec"]
EVERYONE = [*READERS, "admin"]


@pytest.fixture
def records(org):
    colour = make_type()
    red = make_item(colour, "red", label_en="Red")
    regions = make_regions()
    param = SystemParameter.objects.get(key="company_name")
    return {
        "dictionaries": colour,
        "dictionary-items": red,
        "regions": regions["hp"],
        "parameters": param,
    }


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
@pytest.mark.parametrize("persona", READERS)
def test_readers_get_no_write_buttons(records, web, base, persona):
    body = web(persona).get(f"/basedata/{base}/").content.decode()
    assert 'id="add-button"' not in body and 'id="export-menu"' not in body


def test_parameters_cannot_be_added_or_deleted_even_by_admin(records, web, api):
    param = records["parameters"]
    before, count = snapshot(param), SystemParameter.objects.count()
    assert web("admin").get("/basedata/parameters/add/").status_code == 404
    assert web("admin").post(f"/basedata/parameters/{param.pk}/delete/").status_code == 404
    client = api("admin")
    data = {"key": "new_key", "label": "新", "label_en": "New", "value": "1"}
    assert client.post("/api/v1/parameters/", data, format="json").status_code == 405
    assert client.delete(f"/api/v1/parameters/{param.pk}/").status_code == 405
    assert_unchanged(param, before)
    assert SystemParameter.objects.count() == count


def test_parameter_key_and_kind_are_read_only_in_the_api(records, api):
    param = SystemParameter.objects.get(key="reminder_lead_minutes")
    response = api("admin").patch(
        f"/api/v1/parameters/{param.pk}/",
        {"key": "hijacked", "kind": "text", "value": "45", "version": param.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    param.refresh_from_db()
    assert (param.key, param.kind, param.value) == ("reminder_lead_minutes", "int", "45")
