"""Every basedata endpoint, web and API, for every persona; forbidden writes change nothing."""

import pytest

from basedata.models import DictItem, DictType, Region, SystemParameter
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


def new_data(base, records):
    """Valid POST data for a new record of `base` (web form and API alike)."""
    if base == "dictionaries":
        return {"code": "size", "name": "尺寸", "name_en": "Size", "order": 5}
    if base == "dictionary-items":
        return {"type": records["dictionaries"].pk, "code": "blue", "label_zh": "蓝", "label_en": "Blue", "order": 1}
    return {"code": "310104", "name": "徐汇区", "level": 3, "parent": records["regions"].parent_id, "order": 3}


def edit_data(base, obj):
    if base == "dictionaries":
        return {"code": obj.code, "name": "改", "name_en": "Changed", "order": 1, "_version": obj.version}
    if base == "dictionary-items":
        data = {"type": obj.type_id, "code": obj.code, "label_zh": "改", "label_en": "Changed", "order": 1}
        return {**data, "enabled": "on", "_version": obj.version}
    if base == "regions":
        data = {"code": obj.code, "name": "改", "level": obj.level, "parent": obj.parent_id, "order": 1}
        return {**data, "enabled": "on", "_version": obj.version}
    return {"value": "Changed Ltd.", "_version": obj.version}


MODELS = {"dictionaries": DictType, "dictionary-items": DictItem, "regions": Region, "parameters": SystemParameter}


# --- dictionaries, items, regions: everyone views, only admin writes -------------------------
@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
@pytest.mark.parametrize("persona", EVERYONE)
def test_web_read(records, web, base, persona):
    obj = records[base]
    client = web(persona)
    listing = client.get(f"/basedata/{base}/")
    assert listing.status_code == 200
    assert client.get(f"/basedata/{base}/{obj.pk}/").status_code == 200
    if persona != "admin":
        body = listing.content.decode()
        assert 'id="add-button"' not in body and 'id="export-menu"' not in body


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
@pytest.mark.parametrize("persona", READERS)
def test_web_writes_are_forbidden(records, web, base, persona):
    obj = records[base]
    model = MODELS[base]
    before, count = snapshot(obj), model.objects.count()
    client = web(persona)
    assert client.get(f"/basedata/{base}/add/").status_code == 403
    assert client.post(f"/basedata/{base}/add/", new_data(base, records)).status_code == 403
    assert client.get(f"/basedata/{base}/{obj.pk}/edit/").status_code == 403
    assert client.post(f"/basedata/{base}/{obj.pk}/edit/", edit_data(base, obj)).status_code == 403
    assert client.get(f"/basedata/{base}/{obj.pk}/delete/").status_code == 403
    assert client.post(f"/basedata/{base}/{obj.pk}/delete/", {"_version": obj.version}).status_code == 403
    assert client.post(f"/basedata/{base}/bulk-delete/", {"pk": [obj.pk], "_confirm": "1"}).status_code == 403
    assert client.get(f"/basedata/{base}/export/?format=csv").status_code == 403
    if base != "dictionaries":
        assert client.get(f"/basedata/{base}/import/").status_code == 403
        assert client.get(f"/basedata/{base}/import/template/").status_code == 403
    assert_unchanged(obj, before)
    assert model.objects.count() == count


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
def test_admin_web_writes(records, web, base):
    obj = records[base]
    model = MODELS[base]
    client = web("admin")
    assert client.get(f"/basedata/{base}/add/").status_code == 200
    response = client.post(f"/basedata/{base}/add/", new_data(base, records))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert client.get(f"/basedata/{base}/{obj.pk}/edit/").status_code == 200
    assert client.post(f"/basedata/{base}/{obj.pk}/edit/", edit_data(base, obj)).status_code == 302
    obj.refresh_from_db()
    assert obj.version == 2
    assert client.get(f"/basedata/{base}/export/?format=xlsx").status_code == 200
    if base != "dictionaries":
        assert client.get(f"/basedata/{base}/import/").status_code == 200
    created = model.objects.get(code=new_data(base, records)["code"])
    assert client.post(f"/basedata/{base}/{created.pk}/delete/", {"_version": created.version}).status_code == 302
    assert not model.objects.filter(pk=created.pk).exists()


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
@pytest.mark.parametrize("persona", EVERYONE)
def test_api_read(records, api, base, persona):
    obj = records[base]
    client = api(persona)
    listing = client.get(f"/api/v1/{base}/")
    assert listing.status_code == 200
    assert listing.json()["count"] >= 1
    assert client.get(f"/api/v1/{base}/{obj.pk}/").json()["id"] == obj.pk


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
@pytest.mark.parametrize("persona", READERS)
def test_api_writes_are_forbidden(records, api, base, persona):
    obj = records[base]
    model = MODELS[base]
    before, count = snapshot(obj), model.objects.count()
    client = api(persona)
    assert client.post(f"/api/v1/{base}/", new_data(base, records), format="json").status_code == 403
    data = {k: v for k, v in edit_data(base, obj).items() if k != "_version"}
    assert client.put(f"/api/v1/{base}/{obj.pk}/", data, format="json").status_code == 403
    assert client.patch(f"/api/v1/{base}/{obj.pk}/", {"order": 9}, format="json").status_code == 403
    assert client.delete(f"/api/v1/{base}/{obj.pk}/").status_code == 403
    assert_unchanged(obj, before)
    assert model.objects.count() == count


@pytest.mark.parametrize("base", ["dictionaries", "dictionary-items", "regions"])
def test_admin_api_writes(records, api, base):
    obj = records[base]
    model = MODELS[base]
    client = api("admin")
    response = client.post(f"/api/v1/{base}/", new_data(base, records), format="json")
    assert response.status_code == 201, response.json()
    created = model.objects.get(pk=response.json()["id"])
    assert created.created_by.username == "admin"
    response = client.patch(f"/api/v1/{base}/{obj.pk}/", {"order": 9, "version": obj.version}, format="json")
    assert response.status_code == 200, response.json()
    obj.refresh_from_db()
    assert (obj.order, obj.version) == (9, 2)
    assert client.delete(f"/api/v1/{base}/{created.pk}/").status_code == 204
    assert not model.objects.filter(pk=created.pk).exists()


# --- system parameters: executive and admin view, only admin changes --------------------------
@pytest.mark.parametrize("persona", ["exec", "admin"])
def test_parameters_visible_to_executive_and_admin(records, web, api, persona):
    param = records["parameters"]
    assert web(persona).get("/basedata/parameters/").status_code == 200
    assert web(persona).get(f"/basedata/parameters/{param.pk}/").status_code == 200
    assert api(persona).get("/api/v1/parameters/").status_code == 200
    assert api(persona).get(f"/api/v1/parameters/{param.pk}/").json()["key"] == "company_name"


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "manager", "agent"])
def test_parameters_hidden_from_others(records, web, api, persona):
    param = records["parameters"]
    before = snapshot(param)
    client = web(persona)
    assert client.get("/basedata/parameters/").status_code == 403
    assert client.get(f"/basedata/parameters/{param.pk}/").status_code == 403
    assert client.post(f"/basedata/parameters/{param.pk}/edit/", edit_data("parameters", param)).status_code == 403
    assert client.get("/basedata/parameters/export/").status_code == 403
    assert api(persona).get("/api/v1/parameters/").status_code == 403
    assert api(persona).get(f"/api/v1/parameters/{param.pk}/").status_code == 403
    assert api(persona).patch(f"/api/v1/parameters/{param.pk}/", {"value": "x"}, format="json").status_code == 403
    assert_unchanged(param, before)


@pytest.mark.parametrize("persona", READERS)
def test_only_admin_changes_parameters(records, web, api, persona):
    param = records["parameters"]
    before = snapshot(param)
    assert (
        web(persona).post(f"/basedata/parameters/{param.pk}/edit/", edit_data("parameters", param)).status_code == 403
    )
    assert api(persona).patch(f"/api/v1/parameters/{param.pk}/", {"value": "x"}, format="json").status_code == 403
    assert_unchanged(param, before)


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
