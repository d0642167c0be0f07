"""Dictionaries: seeding after migrate, idempotent ensure, duplicate codes."""

import pytest

from accounts.models import AuditEntry
from basedata.dictionaries import SEED
from basedata.models import DictItem, DictType
from basedata.services import dictionaries_ensure

from .factories import make_item, make_type

pytestmark = pytest.mark.django_db


def test_every_seeded_dictionary_exists_after_migrate():
    types = {t.code: t for t in DictType.objects.all()}
    for code, (name, name_en, items) in SEED.items():
        assert code in types, code
        assert (types[code].name, types[code].name_en) == (name, name_en)
        stored = set(DictItem.objects.filter(type=types[code]).values_list("code", "label_zh", "label_en"))
        assert set(items) <= stored, code


def test_dictionaries_ensure_is_idempotent_and_keeps_edits():
    item = DictItem.objects.get(type__code="customer_level", code="vip")
    item.label_en = "Very important"
    item.save()
    DictItem.objects.filter(type__code="industry", code="it").delete()
    before = DictItem.objects.count()
    assert dictionaries_ensure() == 1  # only the deleted item comes back
    assert dictionaries_ensure() == 0
    assert DictItem.objects.count() == before + 1
    assert DictType.objects.count() == len(SEED) + DictType.objects.exclude(code__in=SEED).count()
    item.refresh_from_db()
    assert item.label_en == "Very important"


def test_of_returns_enabled_items_of_one_dictionary():
    DictItem.objects.filter(type__code="customer_level", code="minor").update(enabled=False)
    codes = list(DictItem.objects.of("customer_level").values_list("code", flat=True))
    assert codes == ["vip", "key", "normal"]


def test_labels_follow_the_language():
    from django.utils import translation

    item = DictItem.objects.get(type__code="customer_level", code="vip")
    with translation.override("en"):
        assert str(item) == "VIP" and str(item.type) == "Customer level"
    with translation.override("zh-hans"):
        assert str(item) == "重要客户" and str(item.type) == "客户等级"


ADD = "/basedata/dictionary-items/add/"


def form(dict_type, code, **extra):
    return {"type": dict_type.pk, "code": code, "label_zh": "红", "label_en": "Red", "order": 1, **extra}


def test_duplicate_code_in_the_same_dictionary_is_a_field_error(web):
    colour = make_type()
    make_item(colour, "red")
    response = web("admin").post(ADD, form(colour, "red", enabled="on"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["code"]
    assert "red" in errors["code"][0]
    assert 'data-field-error="code"' in response.content.decode()
    assert DictItem.objects.filter(type=colour, code="red").count() == 1
    assert not AuditEntry.objects.filter(action="create", content_type__model="dictitem").exists()


def test_same_code_in_another_dictionary_is_fine(web):
    colour, size = make_type(), make_type(code="size", name="尺寸", name_en="Size")
    make_item(colour, "red")
    response = web("admin").post(ADD, form(size, "red", enabled="on"))
    assert response.status_code == 302
    assert DictItem.objects.filter(code="red").count() == 2


def test_renaming_onto_an_existing_code_is_refused(web):
    colour = make_type()
    make_item(colour, "red")
    green = make_item(colour, "green")
    response = web("admin").post(
        f"/basedata/dictionary-items/{green.pk}/edit/", form(colour, "red", _version=green.version)
    )
    assert response.status_code == 200
    assert "red" in response.context["form"].errors["code"][0]
    green.refresh_from_db()
    assert (green.code, green.version) == ("green", 1)


def test_duplicate_code_through_the_api(api):
    colour = make_type()
    make_item(colour, "red")
    client = api("admin")
    response = client.post("/api/v1/dictionary-items/", form(colour, "red"), format="json")
    assert response.status_code == 400
    assert "red" in response.json()["errors"]["code"][0]
    assert DictItem.objects.filter(type=colour).count() == 1
    other = make_type(code="size", name="尺寸", name_en="Size")
    assert client.post("/api/v1/dictionary-items/", form(other, "red"), format="json").status_code == 201


def test_the_add_form_takes_the_dictionary_from_the_query_string(web):
    colour = make_type()
    response = web("admin").get(f"{ADD}?type={colour.pk}")
    assert response.context["form"].initial["type"] == str(colour.pk)


def test_dictionary_detail_lists_its_items(web):
    colour = make_type()
    make_item(colour, "red", label_en="Red")
    page = web("alice").get(f"/basedata/dictionaries/{colour.pk}/").content.decode()
    assert "Red" in page
    assert "Add item" not in page  # alice may not add items
    assert f"?type={colour.pk}" in web("admin").get(f"/basedata/dictionaries/{colour.pk}/").content.decode()
