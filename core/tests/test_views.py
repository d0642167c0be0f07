"""Generic views: saved views, bulk edit/delete, delete, health, global search."""

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from basedata.models import DictItem, DictType
from basedata.tests.factories import make_item, make_type
from core.models import Heartbeat, SavedView
from core.registry import get_config
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db

ITEMS = "/basedata/dictionary-items/"


@pytest.fixture
def colour():
    t = make_type()
    make_item(t, "red", order=1)
    make_item(t, "green", order=2)
    make_item(t, "blue", order=3)
    return t


# --- saved views ----------------------------------------------------------------------------
def test_saved_view_is_created_and_listed(colour, web):
    client = web("alice")
    response = client.post(f"{ITEMS}saved-views/", {"name": "Only colours", "query": f"type={colour.pk}"})
    assert response.status_code == 302
    assert response["Location"] == f"{ITEMS}?type={colour.pk}"
    view = SavedView.objects.get(user__username="alice")
    assert (view.model_label, view.name, view.query, view.shared) == (
        "basedata.dictitem",
        "Only colours",
        f"type={colour.pk}",
        False,
    )
    page = client.get(ITEMS).content.decode()
    assert "Only colours" in page and f'href="?type={colour.pk}"' in page
    # Private: Bob does not see it; once shared, he does.
    assert "Only colours" not in web("bob").get(ITEMS).content.decode()
    client.post(f"{ITEMS}saved-views/", {"name": "Only colours", "query": f"type={colour.pk}", "shared": "on"})
    assert SavedView.objects.count() == 1
    assert "Only colours" in web("bob").get(ITEMS).content.decode()


def test_saved_view_query_is_re_encoded(colour, web):
    response = web("alice").post(f"{ITEMS}saved-views/", {"name": "Odd", "query": "q=a\r\nSet-Cookie: x&type=1"})
    assert response.status_code == 302
    assert "\n" not in response["Location"]
    assert SavedView.objects.get().query == "q=a%0D%0ASet-Cookie%3A+x&type=1"


def test_saved_view_needs_a_name(colour, web):
    response = web("alice").post(f"{ITEMS}saved-views/", {"name": "", "query": "q=x"})
    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_saved_views_of_another_list_stay_there(colour, web):
    client = web("alice")
    client.post(f"{ITEMS}saved-views/", {"name": "Items view", "query": "q=x"}, follow=True)
    assert "Items view" not in client.get("/basedata/dictionaries/").content.decode()


# --- bulk edit / bulk delete ------------------------------------------------------------------
def test_bulk_edit_changes_only_ticked_fields_of_selected_rows(colour, web):
    red, green, blue = (DictItem.objects.get(type=colour, code=c) for c in ("red", "green", "blue"))
    client = web("admin")
    form = client.post(f"{ITEMS}bulk-edit/", {"pk": [red.pk, green.pk]})
    assert form.status_code == 200
    assert form.content.decode().count('name="pk"') == 2
    response = client.post(
        f"{ITEMS}bulk-edit/",
        {"pk": [red.pk, green.pk], "_apply": "1", "_set_enabled": "1", "enabled": "", "order": "99"},
    )
    assert response.status_code == 302
    red.refresh_from_db()
    green.refresh_from_db()
    blue.refresh_from_db()
    assert (red.enabled, green.enabled, blue.enabled) == (False, False, True)
    assert (red.order, green.order) == (1, 2)  # order was not ticked
    assert (red.version, blue.version) == (2, 1)
    entries = AuditEntry.objects.filter(action="update", content_type__model="dictitem")
    assert entries.count() == 2
    assert all(e.changes == {"enabled": [True, False]} for e in entries)


def test_bulk_edit_without_a_ticked_field_changes_nothing(colour, web):
    red = DictItem.objects.get(type=colour, code="red")
    before = snapshot(red)
    response = web("admin").post(f"{ITEMS}bulk-edit/", {"pk": [red.pk], "_apply": "1", "enabled": ""})
    assert response.status_code == 400
    assert "Tick at least one field" in response.content.decode()
    assert_unchanged(red, before)


def test_bulk_edit_does_not_loosen_the_edit_form(colour, web):
    """The bulk form makes its fields optional; the model's own form must stay as it was."""
    config = get_config(DictItem)
    required = {name: f.required for name, f in config.form_class.base_fields.items()}
    red = DictItem.objects.get(type=colour, code="red")
    web("admin").post(f"{ITEMS}bulk-edit/", {"pk": [red.pk]})
    assert {name: f.required for name, f in config.form_class.base_fields.items()} == required
    assert required["order"] is True


def test_bulk_delete_asks_then_deletes_selected(colour, web):
    red, green, blue = (DictItem.objects.get(type=colour, code=c) for c in ("red", "green", "blue"))
    client = web("admin")
    confirm = client.post(f"{ITEMS}bulk-delete/", {"pk": [red.pk, green.pk]})
    assert confirm.status_code == 200
    assert DictItem.objects.filter(type=colour).count() == 3
    response = client.post(f"{ITEMS}bulk-delete/", {"pk": [red.pk, green.pk], "_confirm": "1"})
    assert response.status_code == 302
    assert list(DictItem.objects.filter(type=colour).values_list("code", flat=True)) == ["blue"]
    assert AuditEntry.objects.filter(action="delete", content_type__model="dictitem").count() == 2


def test_bulk_delete_reports_records_still_in_use(colour, web):
    spare = make_type(code="spare", name="备用", name_en="Spare")
    client = web("admin")
    response = client.post(
        "/basedata/dictionaries/bulk-delete/", {"pk": [colour.pk, spare.pk], "_confirm": "1"}, follow=True
    )
    assert response.status_code == 200
    assert DictType.objects.filter(pk=colour.pk).exists()
    assert not DictType.objects.filter(pk=spare.pk).exists()
    assert "still used" in response.content.decode()


def test_bulk_actions_are_forbidden_without_permission(colour, web):
    red = DictItem.objects.get(type=colour, code="red")
    before = snapshot(red)
    client = web("alice")
    assert client.post(f"{ITEMS}bulk-edit/", {"pk": [red.pk], "_apply": "1", "_set_enabled": "1"}).status_code == 403
    assert client.post(f"{ITEMS}bulk-delete/", {"pk": [red.pk], "_confirm": "1"}).status_code == 403
    assert_unchanged(red, before)


# --- edit / delete --------------------------------------------------------------------------
def test_stale_edit_form_gets_a_conflict_and_changes_nothing(colour, web):
    red = DictItem.objects.get(type=colour, code="red")
    DictItem.objects.filter(pk=red.pk).update(version=2, label_en="Changed meanwhile")
    response = web("admin").post(
        f"{ITEMS}{red.pk}/edit/",
        {"type": colour.pk, "code": "red", "label_zh": "红", "label_en": "Mine", "order": 1, "_version": 1},
    )
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    red.refresh_from_db()
    assert (red.label_en, red.version) == ("Changed meanwhile", 2)


def test_delete_page_hard_deletes_and_referenced_records_get_a_message(colour, web):
    client = web("admin")
    red = DictItem.objects.get(type=colour, code="red")
    assert client.get(f"{ITEMS}{red.pk}/delete/").status_code == 200
    response = client.post(f"{ITEMS}{red.pk}/delete/", {"_version": red.version})
    assert response.status_code == 302
    assert not DictItem.objects.filter(pk=red.pk).exists()
    response = client.post(f"/basedata/dictionaries/{colour.pk}/delete/", {"_version": colour.version}, follow=True)
    assert response.status_code == 200
    assert "still used" in response.content.decode()
    assert DictType.objects.filter(pk=colour.pk).exists()


def test_detail_page_shows_fields_and_timeline(colour, web):
    red = DictItem.objects.get(type=colour, code="red")
    client = web("admin")
    client.post(
        f"{ITEMS}{red.pk}/edit/",
        {
            "type": colour.pk,
            "code": "red",
            "label_zh": "红",
            "label_en": "Scarlet",
            "order": 1,
            "enabled": "on",
            "_version": 1,
        },
    )
    page = client.get(f"{ITEMS}{red.pk}/").content.decode()
    assert "Scarlet" in page
    # Timeline: the field's verbose name (the admin persona speaks English), before → after.
    timeline = page.rsplit('<ul class="crm-timeline">', 1)[1]
    assert "Dictionary item updated" in timeline and "English label" in timeline
    assert "Label red" in timeline and "Scarlet" in timeline and "label_en" not in timeline
    assert 'id="edit-button"' in page
    assert 'id="edit-button"' not in web("alice").get(f"{ITEMS}{red.pk}/").content.decode()


# --- health ---------------------------------------------------------------------------------
def test_readyz_needs_a_queue_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "queue": "no heartbeat yet"}
    from core.tasks import heartbeat

    heartbeat.call_local()
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_readyz_with_a_stale_heartbeat_is_unavailable(client, settings):
    Heartbeat.objects.create(name="queue", beat_at=timezone.now() - timezone.timedelta(seconds=600))
    settings.CRM_HEARTBEAT_MAX_AGE = 180
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["queue"] == "stale"


def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code == 200


# --- global search --------------------------------------------------------------------------
def test_global_search_is_scoped(web, colour):
    alice = web("alice").get("/core/search/?q=alice")
    assert alice.status_code == 200
    assert alice.context["results"] == []
    admin = web("admin").get("/core/search/?q=alice")
    groups = {str(g["config"].label): [str(h) for h in g["hits"]] for g in admin.context["results"]}
    assert "accounts.user" in groups
    assert any("李爱丽" in h or "alice" in h for h in groups["accounts.user"])
    # Alice does find what she may view: dictionaries.
    found = web("alice").get("/core/search/?q=Colour").context["results"]
    assert [g["config"].label for g in found] == ["basedata.dicttype"]


def test_global_search_partial_for_htmx(web, colour):
    response = web("admin").get("/core/search/?q=Colour", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="search-hits">')
    assert "<html" not in body


def test_empty_search_and_anonymous(web, client):
    assert web("alice").get("/core/search/?q=%20").context["results"] == []
    assert client.get("/core/search/?q=alice").status_code == 302


def test_list_filters_and_htmx_partial(colour, web):
    client = web("alice")
    page = client.get(f"{ITEMS}?type={colour.pk}&q=gree").content.decode()
    assert "Label green" in page and "Label red" not in page
    partial = client.get(f"{ITEMS}?type={colour.pk}", headers={"HX-Request": "true", "HX-Target": "results"})
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body and "Label blue" in body
