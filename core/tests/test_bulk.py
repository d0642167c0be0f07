"""Bulk inserts (COPY on PostgreSQL, bulk_create elsewhere): ids, defaults, JSON, generators."""

import pytest

from accounts.models import AuditEntry
from core.bulk import fast_insert, insert_rows
from core.models import ImportJob

pytestmark = pytest.mark.django_db


def test_insert_rows_returns_ids_and_fills_defaults(admin_user):
    changes = {"import": [None, "a.xlsx"]}
    rows = ((admin_user.pk, "create", str(i), f"对象{i}", changes) for i in range(3))
    ids = insert_rows(AuditEntry, ["actor_id", "action", "object_id", "object_repr", "changes"], rows, count=3)
    entries = list(AuditEntry.objects.filter(pk__in=ids).order_by("pk"))
    assert [e.pk for e in entries] == ids
    assert [e.object_repr for e in entries] == ["对象0", "对象1", "对象2"]
    for e in entries:
        assert e.actor == admin_user and e.changes == changes
        assert e.created_at is not None  # auto_now_add
        assert e.message == "" and e.ip is None and e.content_type is None  # defaults


def test_insert_rows_without_returning(admin_user):
    before = AuditEntry.objects.count()
    assert insert_rows(AuditEntry, ["action", "object_id"], [("create", "1"), ("create", "2")], returning=False) is None
    assert AuditEntry.objects.count() == before + 2
    # Callable defaults are evaluated per row (a fresh dict, not one shared object).
    insert_rows(ImportJob, ["model_label", "file", "original_name"], [("x.y", "f", "f.csv")] * 2, returning=False)
    assert list(ImportJob.objects.values_list("options", "errors")) == [({}, []), ({}, [])]


def test_insert_rows_refuses_unknown_columns_and_wrong_counts():
    with pytest.raises(ValueError):
        insert_rows(AuditEntry, ["id", "action"], [(1, "x")])
    with pytest.raises(ValueError):
        insert_rows(AuditEntry, ["nonsense"], [("x",)])


def test_fast_insert_sets_pks(admin_user):
    objs = fast_insert(AuditEntry, [AuditEntry(action="create", object_id=str(i), changes={"i": i}) for i in range(3)])
    assert all(o.pk for o in objs)
    assert [AuditEntry.objects.get(pk=o.pk).changes for o in objs] == [{"i": 0}, {"i": 1}, {"i": 2}]
