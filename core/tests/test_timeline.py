"""core.timeline: audit entries described for people (labels, names, local times, no noise)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from accounts.models import AuditEntry
from basedata.models import DictItem
from basedata.tests.factories import make_item, make_type
from core.audit import audit_log
from core.services import object_create
from core.timeline import describe_entries

pytestmark = pytest.mark.django_db


def create_item(dict_type, code):
    """Through the service, so the creation is audited."""
    data = {"type": dict_type, "code": code, "label_zh": f"标签{code}", "label_en": f"Label {code}"}
    return object_create(actor=None, model=DictItem, data=data)


def test_changes_get_labels_names_and_local_times():
    colour, size = make_type(), make_type(code="size", name="尺寸", name_en="Size")
    red = make_item(colour, "red")
    audit_log(
        actor=None,
        action="update",
        obj=red,
        changes={
            "type": [colour.pk, size.pk],
            "enabled": [True, False],
            "updated_at": ["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00"],
            "version": [1, 2],
            "label_en": ["Red", "Scarlet"],
        },
    )
    with translation.override("en"):
        (item,) = describe_entries(AuditEntry.objects.for_object(red))
        assert item.heading == "Dictionary item updated" and item.subject == str(red)
        assert [(c.label, c.before, c.after) for c in item.changes] == [
            ("Dictionary", "Colour", "Size"),
            ("Enabled", "Yes", "No"),
            ("English label", "Red", "Scarlet"),
        ]
    with translation.override("zh-hans"):
        (item,) = describe_entries(AuditEntry.objects.for_object(red))
        assert item.heading == "修改字典项"
        assert [(c.before, c.after) for c in item.changes][:2] == [("颜色", "尺寸"), ("是", "否")]


def test_related_ids_are_resolved_in_one_query_per_model():
    colour = make_type()
    items = [create_item(colour, f"c{i}") for i in range(8)]
    entries = list(AuditEntry.objects.filter(action="create"))
    assert len(entries) == len(items)
    with CaptureQueriesContext(connection) as ctx:
        described = describe_entries(entries)
    assert len(ctx.captured_queries) == 1  # the dictionary types, once for all entries
    assert all(any(c.after == str(colour) for c in d.changes) for d in described)


def test_deleted_targets_and_stored_names_are_shown_sensibly():
    colour = make_type()
    red = make_item(colour, "red")
    audit_log(actor=None, action="update", obj=red, changes={"type": [987654, None], "owner": [None, "李爱丽"]})
    (item,) = describe_entries(AuditEntry.objects.for_object(red).filter(action="update"))
    assert [(c.before, c.after) for c in item.changes] == [("#987654", "—"), ("—", "李爱丽")]


def test_a_create_lists_values_once_and_skips_the_subject_link():
    colour = make_type()
    red = create_item(colour, "red")
    entries = AuditEntry.objects.filter(action="create", object_id=str(red.pk))
    with translation.override("en"):
        (item,) = describe_entries(entries, subject=colour)
    assert item.single_value and item.heading == "Dictionary item created" and item.subject == str(red)
    labels = [c.label for c in item.changes]
    assert "Dictionary" not in labels  # it points back at the page's own record
    assert "Code" in labels and not {"Id", "Created at", "Version"} & set(labels)
    assert DictItem.objects.filter(pk=red.pk).exists()
