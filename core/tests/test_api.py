"""API conventions (architecture §5): one error shape, 404 outside scope, 409 on a stale version."""

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from basedata.models import DictItem
from basedata.tests.factories import make_item, make_type
from core.testing.helpers import assert_unchanged, snapshot
from workspace.models import Todo

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/dictionary-items/"


@pytest.fixture
def red():
    return make_item(make_type(), "red", label_en="Red")


def test_validation_errors_are_400_with_field_lists(red, api):
    response = api("admin").post(ITEMS, {"type": red.type_id, "code": "", "label_zh": "x"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"code", "label_en"}
    assert all(isinstance(v, list) and v for v in errors.values())


def test_service_validation_errors_have_the_same_shape(red, api):
    # The duplicate code is found by the model (service full_clean), not the serializer.
    response = api("admin").post(
        ITEMS, {"type": red.type_id, "code": "red", "label_zh": "红", "label_en": "Red"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["code"]
    assert "red" in response.json()["errors"]["code"][0]


def test_unknown_or_out_of_scope_records_are_404(red, api, alice):
    todo = Todo.objects.create(owner=alice, title="alice's", due_at=timezone.now())
    response = api("bob").get(f"/api/v1/todos/{todo.pk}/")
    assert response.status_code == 404
    assert response.json() == {"errors": {"detail": [response.json()["errors"]["detail"][0]]}}
    assert api("admin").get(f"{ITEMS}999999/").status_code == 404


def test_missing_permission_is_403_in_the_same_shape(red, api):
    response = api("alice").delete(f"{ITEMS}{red.pk}/")
    assert response.status_code == 403
    assert list(response.json()["errors"]) == ["detail"]
    assert DictItem.objects.filter(pk=red.pk).exists()


def test_unauthenticated_is_refused(red, client):
    response = client.get(ITEMS)
    assert response.status_code in (401, 403)
    assert "errors" in response.json()


def test_stale_version_is_409_and_changes_nothing(red, api):
    client = api("admin")
    ok = client.patch(f"{ITEMS}{red.pk}/", {"label_en": "Crimson", "version": 1}, format="json")
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    red.refresh_from_db()
    before = snapshot(red)
    stale = client.patch(f"{ITEMS}{red.pk}/", {"label_en": "Scarlet", "version": 1}, format="json")
    assert stale.status_code == 409
    assert list(stale.json()["errors"]) == ["version"]
    assert_unchanged(red, before)
    assert DictItem.objects.get(pk=red.pk).version == 2


def test_garbage_version_is_400_not_500(red, api):
    response = api("admin").patch(f"{ITEMS}{red.pk}/", {"label_en": "X", "version": "abc"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["errors"]
    assert DictItem.objects.get(pk=red.pk).label_en == "Red"


def test_api_writes_are_audited_as_api(red, api):
    api("admin").patch(f"{ITEMS}{red.pk}/", {"label_en": "Crimson", "version": 1}, format="json")
    entry = AuditEntry.objects.get(action="update", content_type__model="dictitem")
    assert entry.source == "api"
    assert entry.changes == {"label_en": ["Red", "Crimson"]}


def test_delete_of_a_referenced_record_is_a_400_not_a_500(red, api):
    response = api("admin").delete(f"/api/v1/dictionaries/{red.type_id}/")
    assert response.status_code == 400
    assert "still used" in response.json()["errors"]["non_field_errors"][0]


def test_delete_with_stale_version_is_409(red, api):
    DictItem.objects.filter(pk=red.pk).update(version=3)
    response = api("admin").delete(f"{ITEMS}{red.pk}/?version=1")
    assert response.status_code == 409
    assert DictItem.objects.filter(pk=red.pk).exists()
    assert api("admin").delete(f"{ITEMS}{red.pk}/?version=3").status_code == 204
    assert not DictItem.objects.filter(pk=red.pk).exists()


def test_openapi_schema_renders(api):
    response = api("admin").get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/dictionary-items/" in response.content


def test_model_non_field_errors_use_the_drf_key():
    from django.core.exceptions import ValidationError

    from core.api.exceptions import exception_handler

    response = exception_handler(ValidationError({"__all__": ["Both dates are wrong."], "code": ["Bad."]}), {})
    assert response.status_code == 400
    assert response.data == {"errors": {"non_field_errors": ["Both dates are wrong."], "code": ["Bad."]}}
