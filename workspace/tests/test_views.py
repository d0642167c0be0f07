"""Workbench, notifications bell and list, to-do list (web)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from workspace.models import Notification, Todo
from workspace.services import notify, todo_create

pytestmark = pytest.mark.django_db


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_home_shows_todos_and_unread_notifications(alice, bob, web):
    due = timezone.now() + timedelta(hours=3)
    todo_create(actor=alice, owner=alice, title="Alice call", due_at=due)
    todo_create(actor=bob, owner=bob, title="Bob call", due_at=due)
    notify(recipients=[alice], title="Welcome aboard")
    read = notify(recipients=[alice], title="Already read")[0]
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    response = web("alice").get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Alice call" in body and "Bob call" not in body
    assert "Welcome aboard" in body and "Already read" not in body
    assert '<div class="font-weight-medium" id="open-todos">1</div>' in body
    assert '<div class="font-weight-medium" id="unread-count">1</div>' in body


def test_home_needs_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_bell_lists_unread_only(alice, bob, web):
    notify(recipients=[alice], title="Unread one")
    notify(recipients=[bob], title="Bob only")
    Notification.objects.filter(pk=notify(recipients=[alice], title="Seen")[0].pk).update(read_at=timezone.now())
    body = web("alice").get("/workspace/notifications/bell/").content.decode()
    assert "Unread one" in body and "Seen" not in body and "Bob only" not in body
    Notification.objects.filter(recipient__username="bob").update(read_at=timezone.now())
    assert "No unread notifications" in web("bob").get("/workspace/notifications/bell/").content.decode()


def test_opening_a_notification_marks_it_read_and_follows_its_link(alice, web):
    [n] = notify(recipients=[alice], title="Go", link="/workspace/todos/")
    response = web("alice").get(f"/workspace/notifications/{n.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/workspace/todos/"
    n.refresh_from_db()
    assert n.read_at is not None


def test_notification_with_an_outside_link_goes_to_the_list(alice, web):
    [n] = notify(recipients=[alice], title="Phish", link="https://evil.example/")
    response = web("alice").get(f"/workspace/notifications/{n.pk}/open/")
    assert response["Location"] == "/workspace/notifications/"


def test_someone_elses_notification_is_404_and_stays_unread(alice, web):
    [n] = notify(recipients=[alice], title="Private")
    assert web("bob").get(f"/workspace/notifications/{n.pk}/open/").status_code == 404
    assert web("admin").get(f"/workspace/notifications/{n.pk}/open/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_notification_list_and_mark_all_read(alice, bob, web):
    notify(recipients=[alice], title="One")
    notify(recipients=[alice], title="Two")
    notify(recipients=[bob], title="For Bob")
    client = web("alice")
    page = client.get("/workspace/notifications/").content.decode()
    assert "One" in page and "Two" in page and "For Bob" not in page
    assert client.get("/workspace/notifications/read-all/").status_code == 405
    response = client.post("/workspace/notifications/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=alice, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1
    assert "One" not in client.get("/workspace/notifications/?unread=1").content.decode()


def test_add_todo(alice, web):
    due = timezone.now() + timedelta(days=1)
    client = web("alice")
    response = client.post(
        "/workspace/todos/",
        {"title": "Send the quote", "due_at": local(due), "remind_at": local(due - timedelta(hours=1))},
    )
    assert response.status_code == 302
    todo = Todo.objects.get()
    assert (todo.owner, todo.title) == (alice, "Send the quote")
    assert "Send the quote" in client.get("/workspace/todos/").content.decode()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"title": "", "due_at": "2030-01-01T10:00"}, "title"),
        ({"title": "   ", "due_at": "2030-01-01T10:00"}, "title"),
        ({"title": "x", "due_at": ""}, "due_at"),
        ({"title": "x", "due_at": "not a date"}, "due_at"),
        ({"title": "x", "due_at": "2030-01-01T10:00", "remind_at": "2030-01-01T11:00"}, "remind_at"),
    ],
)
def test_bad_todo_input_is_a_field_error_and_saves_nothing(alice, web, data, field):
    response = web("alice").post("/workspace/todos/", data)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == [field]
    assert f'data-field-error="{field}"' in response.content.decode()
    assert not Todo.objects.exists()


def test_toggle_via_htmx_returns_the_row(alice, web):
    todo = todo_create(actor=alice, owner=alice, title="Toggle me", due_at=timezone.now() + timedelta(hours=1))
    client = web("alice")
    response = client.post(f"/workspace/todos/{todo.pk}/toggle/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<div class="list-group-item" id="todo-{todo.pk}">')
    assert "btn-success" in body and "text-decoration-line-through" in body
    todo.refresh_from_db()
    assert todo.done_at is not None
    assert "Toggle me" in client.get("/workspace/todos/?show=done").content.decode()
    response = client.post(f"/workspace/todos/{todo.pk}/toggle/")  # without htmx: back to the list
    assert response.status_code == 302
    todo.refresh_from_db()
    assert todo.done_at is None


def test_toggle_someone_elses_todo_is_404(alice, web):
    todo = todo_create(actor=alice, owner=alice, title="Mine", due_at=timezone.now())
    assert web("bob").post(f"/workspace/todos/{todo.pk}/toggle/").status_code == 404
    assert web("bob").get(f"/workspace/todos/{todo.pk}/toggle/").status_code == 405
    todo.refresh_from_db()
    assert (todo.done_at, todo.version) == (None, 1)


def test_the_cached_badge_follows_new_and_read_notifications(alice, web, shared_cache):
    client = web("alice")

    def badge():
        body = client.get("/workspace/notifications/").content.decode()
        return body.split('id="bell-count">')[1].split("<")[0] if 'id="bell-count">' in body else "0"

    assert badge() == "0"
    [first] = notify(recipients=[alice], title="One")
    notify(recipients=[alice], title="Two")
    assert badge() == "2"
    client.get(f"/workspace/notifications/{first.pk}/open/")
    assert badge() == "1"
    client.post("/workspace/notifications/read-all/")
    assert badge() == "0"
