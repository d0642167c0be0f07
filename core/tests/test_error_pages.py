"""Error pages inside the shell, in the user's language, with a way back; and no menu entry that
leads to a 403 (issue 11 item 11)."""

import pytest
from django.test import Client
from django.urls import path

from core.navigation import menu_for
from core.testing.fixtures import PERSONAS

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("deliberate")


urlpatterns = [path("boom/", _boom)]
handler500 = "core.views.errors.server_error"


def _speaking(user, language):
    user.language = language
    user.save(update_fields=["language"])


@pytest.mark.parametrize(("language", "title"), [("zh-hans", "没有权限"), ("en", "No permission")])
def test_403_is_inside_the_shell_in_the_users_language(executive, web, language, title):
    _speaking(executive, language)
    response = web("exec").get("/customers/customers/add/")
    assert response.status_code == 403
    html = response.content.decode()
    assert title in html
    assert 'id="sidebar-menu"' in html  # the shell: navigation and a way back
    assert 'href="/"' in html


@pytest.mark.parametrize(("language", "title"), [("zh-hans", "页面不存在"), ("en", "Page not found")])
def test_404_is_inside_the_shell(alice, web, language, title):
    _speaking(alice, language)
    response = web("alice").get("/customers/customers/999999999/")
    assert response.status_code == 404
    assert title in response.content.decode()
    assert 'id="sidebar-menu"' in response.content.decode()


def test_api_errors_keep_the_api_shape(api):
    response = api("exec").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["detail"]


def test_anonymous_404_is_a_plain_page():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert 'id="sidebar-menu"' not in response.content.decode()


@pytest.mark.urls("core.tests.test_error_pages")
def test_500_page_needs_no_database_context(alice):
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Back to the workbench" in response.content.decode() or "返回工作台" in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_menu_entry_opens(org, web, persona):
    client = web(persona)
    urls = [item["url"] for entry in menu_for(org[persona]) for item in entry["items"]]
    assert urls
    failures = {url: status for url in urls if (status := client.get(url).status_code) != 200}
    assert not failures, (persona, failures)


def test_an_add_form_with_no_parent_to_choose_explains_instead(agent, alice, web):
    # agent (customer service, own scope) owns no customer: no follow-up could ever be saved.
    _speaking(agent, "en")
    response = web("agent").get("/customers/followups/add/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing to add this to yet" in html and 'id="object-form"' not in html
    from customers.tests.factories import make_customer

    make_customer(alice, "爱丽丝的客户")
    assert 'id="object-form"' in web("alice").get("/customers/followups/add/").content.decode()
