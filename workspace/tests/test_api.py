"""/api/v1/notifications/ and /api/v1/todos/: own records only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEntry
from core.testing.helpers import assert_unchanged, snapshot
from workspace.models import Notification, Todo
from workspace.services import notify, todo_create

pytestmark = pytest.mark.django_db

NOTES = "/api/v1/notifications/"
TODOS = "/api/v1/todos/"


def iso(dt):
    return dt.isoformat()


# --- notifications --------------------------------------------------------------------------
def test_list_shows_only_own_notifications(alice, bob, api):
    notify(recipients=[alice], title="For alice")
    notify(recipients=[bob], title="For bob")
    data = api("alice").get(NOTES).json()
    assert [n["title"] for n in data["results"]] == ["For alice"]
    assert data["count"] == 1
    assert [n["title"] for n in api("admin").get(NOTES).json()["results"]] == []


def test_unread_filter(alice, api):
    notify(recipients=[alice], title="Old")
    Notification.objects.update(read_at=timezone.now())
    notify(recipients=[alice], title="New")
    assert [n["title"] for n in api("alice").get(f"{NOTES}?unread=1").json()["results"]] == ["New"]


def test_someone_elses_notification_is_404(alice, api):
    [n] = notify(recipients=[alice], title="Private")
    client = api("bob")
    assert client.get(f"{NOTES}{n.pk}/").status_code == 404
    assert client.post(f"{NOTES}{n.pk}/mark-read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_mark_read_and_mark_all_read(alice, bob, api):
    first, second = notify(recipients=[alice], title="1")[0], notify(recipients=[alice], title="2")[0]
    notify(recipients=[bob], title="bob")
    client = api("alice")
    response = client.post(f"{NOTES}{first.pk}/mark-read/")
    assert response.status_code == 200 and response.json()["read_at"]
    second.refresh_from_db()
    assert second.read_at is None
    assert client.post(f"{NOTES}mark-all-read/").json() == {"marked": 1}
    assert client.post(f"{NOTES}mark-all-read/").json() == {"marked": 0}
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_notifications_are_read_only(alice, api):
    [n] = notify(recipients=[alice], title="Fixed")
    client = api("alice")
    assert client.post(NOTES, {"title": "forged"}, format="json").status_code == 405
    assert client.patch(f"{NOTES}{n.pk}/", {"title": "x"}, format="json").status_code == 405
    assert client.delete(f"{NOTES}{n.pk}/").status_code == 405
    assert Notification.objects.get().title == "Fixed"


def test_anonymous_gets_nothing(client):
    assert client.get(NOTES).status_code in (401, 403)
    assert client.get(TODOS).status_code in (401, 403)


# --- to-dos ---------------------------------------------------------------------------------
@pytest.fixture
def alices_todo(alice):
    return todo_create(actor=alice, owner=alice, title="Alice todo", due_at=timezone.now() + timedelta(days=1))


def test_create_is_owned_by_the_caller(alice, api):
    due = timezone.now() + timedelta(days=1)
    response = api("alice").post(TODOS, {"title": "Via API", "due_at": iso(due)}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 1
    todo = Todo.objects.get(pk=response.json()["id"])
    assert todo.owner == alice and todo.created_by == alice
    assert AuditEntry.objects.for_object(todo).get().source == "api"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "", "due_at": "2030-01-01T10:00:00Z"}, "title"),
        ({"title": "   ", "due_at": "2030-01-01T10:00:00Z"}, "title"),
        ({"title": "x"}, "due_at"),
        ({"title": "x", "due_at": "2030-01-01T10:00:00Z", "remind_at": "2030-01-01T11:00:00Z"}, "remind_at"),
    ],
)
def test_create_errors_are_400_per_field(alice, api, data, field):
    response = api("alice").post(TODOS, data, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Todo.objects.exists()


def test_list_and_retrieve_own_only(alice, bob, alices_todo, api):
    todo_create(actor=bob, owner=bob, title="Bob todo", due_at=timezone.now())
    assert [t["title"] for t in api("alice").get(TODOS).json()["results"]] == ["Alice todo"]
    assert api("alice").get(f"{TODOS}{alices_todo.pk}/").json()["title"] == "Alice todo"
    assert [t["title"] for t in api("admin").get(TODOS).json()["results"]] == []


def test_other_users_cannot_touch_alices_todo(alices_todo, api):
    before = snapshot(alices_todo)
    for persona in ("bob", "manager", "admin"):
        client = api(persona)
        assert client.get(f"{TODOS}{alices_todo.pk}/").status_code == 404
        assert client.patch(f"{TODOS}{alices_todo.pk}/", {"title": "hacked"}, format="json").status_code == 404
        assert (
            client.put(
                f"{TODOS}{alices_todo.pk}/", {"title": "hacked", "due_at": "2030-01-01T00:00:00Z"}, format="json"
            ).status_code
            == 404
        )
        assert client.post(f"{TODOS}{alices_todo.pk}/complete/").status_code == 404
        assert client.delete(f"{TODOS}{alices_todo.pk}/").status_code == 404
    assert_unchanged(alices_todo, before)


def test_update_with_version(alices_todo, api):
    client = api("alice")
    response = client.patch(f"{TODOS}{alices_todo.pk}/", {"title": "Renamed", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    alices_todo.refresh_from_db()
    before = snapshot(alices_todo)
    stale = client.patch(f"{TODOS}{alices_todo.pk}/", {"title": "Stale", "version": 1}, format="json")
    assert stale.status_code == 409
    assert "version" in stale.json()["errors"]
    assert_unchanged(alices_todo, before)
    assert Todo.objects.get(pk=alices_todo.pk).title == "Renamed"


def test_partial_update_cannot_put_the_reminder_after_the_due_time(alices_todo, api):
    before = snapshot(alices_todo)
    late = alices_todo.due_at + timedelta(hours=1)
    response = api("alice").patch(f"{TODOS}{alices_todo.pk}/", {"remind_at": iso(late)}, format="json")
    assert response.status_code == 400
    assert "remind_at" in response.json()["errors"]
    assert_unchanged(alices_todo, before)


def test_complete_and_reopen(alices_todo, api):
    client = api("alice")
    response = client.post(f"{TODOS}{alices_todo.pk}/complete/")
    assert response.status_code == 200 and response.json()["done_at"]
    assert client.get(f"{TODOS}?open=1").json()["count"] == 0
    response = client.post(f"{TODOS}{alices_todo.pk}/complete/", {"done": False, "version": 2}, format="json")
    assert response.status_code == 200 and response.json()["done_at"] is None
    stale = client.post(f"{TODOS}{alices_todo.pk}/complete/", {"version": 1}, format="json")
    assert stale.status_code == 409
    assert Todo.objects.get(pk=alices_todo.pk).done_at is None


def test_delete_own(alices_todo, api):
    assert api("alice").delete(f"{TODOS}{alices_todo.pk}/").status_code == 204
    assert not Todo.objects.filter(pk=alices_todo.pk).exists()


def test_read_only_fields_are_ignored(alices_todo, api):
    response = api("alice").patch(
        f"{TODOS}{alices_todo.pk}/",
        {"done_at": "2020-01-01T00:00:00Z", "link": "https://evil.example/", "version": 1},
        format="json",
    )
    assert response.status_code == 200
    alices_todo.refresh_from_db()
    assert alices_todo.done_at is None and alices_todo.link == ""
