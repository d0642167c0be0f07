"""Generic write services: audit entries, optimistic locking, hard delete of non-soft models."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEntry
from basedata.models import DictItem, DictType
from basedata.tests.factories import make_item, make_type
from core import context
from core.exceptions import VersionConflict
from core.services import lock_version, object_create, object_delete, object_update

pytestmark = pytest.mark.django_db


def entries(obj, action):
    return list(AuditEntry.objects.for_object(obj).filter(action=action))


def test_object_create_sets_created_by_and_audits_the_values(admin_user):
    colour = make_type()
    with context.request_context(ip="10.1.2.3", source="web"):
        item = object_create(
            actor=admin_user,
            model=DictItem,
            data={"type": colour, "code": "red", "label_zh": "红", "label_en": "Red", "order": 5, "enabled": False},
        )
    item.refresh_from_db()
    assert item.created_by == admin_user
    assert item.version == 1
    [entry] = entries(item, "create")
    assert entry.actor == admin_user
    assert entry.ip == "10.1.2.3"
    assert entry.source == "web"
    assert entry.changes["code"] == [None, "red"]
    assert entry.changes["label_en"] == [None, "Red"]
    assert entry.changes["order"] == [None, 5]
    assert entry.changes["type"] == [None, colour.pk]
    assert entry.changes["enabled"] == [None, False]  # "created disabled" is worth recording
    assert "version" not in entry.changes and "updated_at" not in entry.changes


def test_object_create_validates_and_saves_nothing_on_error(admin_user):
    colour = make_type()
    with pytest.raises(ValidationError) as exc:
        object_create(actor=admin_user, model=DictItem, data={"type": colour, "code": "", "label_zh": "红"})
    assert {"code", "label_en"} <= set(exc.value.message_dict)
    assert not DictItem.objects.filter(type=colour).exists()
    assert not AuditEntry.objects.filter(action="create", content_type__model="dictitem").exists()


def test_object_update_audits_before_and_after_and_bumps_version(admin_user):
    item = make_item(make_type(), "red", label_en="Red")
    object_update(actor=admin_user, instance=item, data={"label_en": "Crimson", "enabled": False}, version=1)
    item.refresh_from_db()
    assert (item.label_en, item.enabled, item.version) == ("Crimson", False, 2)
    [entry] = entries(item, "update")
    assert entry.changes == {"label_en": ["Red", "Crimson"], "enabled": [True, False]}
    assert entry.actor == admin_user


def test_object_update_without_changes_writes_no_audit_entry(admin_user):
    item = make_item(make_type(), "red", label_en="Red")
    object_update(actor=admin_user, instance=item, data={"label_en": "Red"}, version=1)
    assert entries(item, "update") == []


def test_stale_version_raises_conflict_and_changes_nothing(admin_user):
    item = make_item(make_type(), "red", label_en="Red")
    first = DictItem.objects.get(pk=item.pk)
    second = DictItem.objects.get(pk=item.pk)
    object_update(actor=admin_user, instance=first, data={"label_en": "First"}, version=1)
    with pytest.raises(VersionConflict):
        object_update(actor=admin_user, instance=second, data={"label_en": "Second"}, version=1)
    fresh = DictItem.objects.get(pk=item.pk)
    assert (fresh.label_en, fresh.version) == ("First", 2)
    assert len(entries(item, "update")) == 1


def test_lock_version_is_a_single_conditional_update(admin_user, django_assert_num_queries):
    item = make_item(make_type(), "red")
    with django_assert_num_queries(1) as ctx:
        lock_version(item, 1)
    sql = ctx.captured_queries[0]["sql"].upper()
    assert sql.startswith("UPDATE") and '"VERSION"' in sql
    assert item.version == 2
    assert DictItem.objects.get(pk=item.pk).version == 2
    with pytest.raises(VersionConflict):
        lock_version(item, 1)
    assert DictItem.objects.get(pk=item.pk).version == 2


def test_lock_version_accepts_the_version_as_form_text(admin_user):
    item = make_item(make_type(), "red")
    lock_version(item, "1")
    assert DictItem.objects.get(pk=item.pk).version == 2


def test_lock_version_rejects_garbage_with_a_validation_error(admin_user):
    item = make_item(make_type(), "red")
    with pytest.raises(ValidationError) as exc:
        lock_version(item, "abc")
    assert "version" in exc.value.message_dict
    assert DictItem.objects.get(pk=item.pk).version == 1


def test_failed_validation_after_lock_rolls_the_version_back(admin_user):
    item = make_item(make_type(), "red")
    with pytest.raises(ValidationError):
        object_update(actor=admin_user, instance=item, data={"label_en": ""}, version=1)
    fresh = DictItem.objects.get(pk=item.pk)
    assert (fresh.label_en, fresh.version) == ("Label red", 1)


def test_object_delete_hard_deletes_a_model_without_recycle_bin(admin_user):
    item = make_item(make_type(), "red", label_en="Red")
    pk = item.pk
    assert object_delete(actor=admin_user, instance=item, version=1) is None
    assert not DictItem.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(content_type__model="dictitem", object_id=str(pk), action="delete")
    assert entry.changes["code"] == ["red", None]
    assert entry.changes["label_en"] == ["Red", None]


def test_object_delete_with_stale_version_conflicts_and_keeps_the_row(admin_user):
    item = make_item(make_type(), "red")
    DictItem.objects.filter(pk=item.pk).update(version=2)  # someone else saved meanwhile
    with pytest.raises(VersionConflict):
        object_delete(actor=admin_user, instance=item, version=1)
    assert DictItem.objects.filter(pk=item.pk).exists()


def test_object_delete_of_a_referenced_record_is_a_clear_validation_error(admin_user):
    colour = make_type()
    make_item(colour, "red")
    with pytest.raises(ValidationError) as exc:
        object_delete(actor=admin_user, instance=colour)
    assert "still used" in " ".join(exc.value.messages)
    assert DictType.objects.filter(pk=colour.pk).exists()
    assert not AuditEntry.objects.filter(action__in=["delete", "purge"], object_id=str(colour.pk)).exists()
