"""Dropdowns on scoped models offer only the viewer's rows (issue 11 item 5).

Filter bars and forms with a foreign key to a scoped model list (and accept) only rows in the
viewer's scope, never from a list shared across users; a large model (customers) is picked
through the scoped autocomplete endpoint, which renders only the selected row.
"""

import json
import re

import pytest
from django.test import RequestFactory

from core.choice_cache import cache_model_choices
from core.widgets import AutocompleteSelect
from customers.filtersets import ContactFilterSet, FollowUpFilterSet
from customers.forms import ContactForm, FollowUpForm
from customers.models import Contact, Customer, FollowUp
from customers.tests.factories import make_contact, make_customer, make_followup

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/core/autocomplete/customers.customer/"


@pytest.fixture
def books(alice, bob, charlie):
    """Each persona's customers, each with a contact and a follow-up."""
    names = {
        "alice": ["杭州龙湖科技有限公司", "苏州恒通机械制造有限公司"],
        "bob": ["北京龙湖地产有限公司"],
        "charlie": ["广州盛世机械有限公司"],
    }
    users = {"alice": alice, "bob": bob, "charlie": charlie}
    out = {}
    for who, customer_names in names.items():
        rows = []
        for i, name in enumerate(customer_names):
            customer = make_customer(users[who], name=name)
            contact = make_contact(users[who], customer, name=f"{who}联系人{i}")
            followup = make_followup(users[who], customer, summary=f"{who}跟进{i}")
            rows.append((customer, contact, followup))
        out[who] = rows
    return out


def customers_of(books, who):
    return {customer.pk for customer, _c, _f in books[who]}


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def options(html, name):
    """The (value, label) options of the <select name=…> in `html`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    found = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))
    return [(v, label) for v, label in found if v]


# --- filter bars ------------------------------------------------------------------------------
@pytest.mark.parametrize("filterset", [ContactFilterSet, FollowUpFilterSet])
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_customer_filter_offers_only_the_viewers_customers(books, org, filterset, who):
    form = filterset(request=request_of(org[who]), queryset=Contact.objects.none()).form
    field = form.fields["customer"]
    assert set(field.queryset.values_list("pk", flat=True)) == customers_of(books, who)
    assert isinstance(field.widget, AutocompleteSelect)  # 1 M customers: a search, not 1 M options
    # Without a request (no user) it offers nothing, not everything.
    assert not filterset(queryset=Contact.objects.none()).form.fields["customer"].queryset.exists()


@pytest.mark.parametrize("url_base", ["contacts", "followups"])
def test_the_list_filter_bar_renders_no_customer_list(books, web, url_base):
    html = web("alice").get(f"/customers/{url_base}/").content.decode()
    assert options(html, "customer") == []
    assert 'data-autocomplete="/core/autocomplete/customers.customer/"' in html


@pytest.mark.parametrize(("url_base", "model"), [("contacts", Contact), ("followups", FollowUp)])
def test_a_filter_value_outside_the_scope_gives_no_rows_and_no_name(books, web, api, url_base, model):
    ((theirs, their_contact, their_followup),) = books["bob"]
    mine = books["alice"][0][0]
    page = web("alice").get(f"/customers/{url_base}/", {"customer": theirs.pk})
    assert page.status_code == 200
    html = page.content.decode()
    assert theirs.name not in html and their_contact.name not in html and their_followup.summary not in html
    assert options(html, "customer") == []
    # Bob sees his own, with its name in the box.
    html = web("bob").get(f"/customers/{url_base}/", {"customer": theirs.pk}).content.decode()
    assert options(html, "customer") == [(str(theirs.pk), theirs.name)]
    assert (their_contact.name if model is Contact else their_followup.summary) in html
    # The API: no rows for a customer outside the scope, as for a customer that does not exist.
    listed = api("alice").get(f"/api/v1/{url_base}/", {"customer": theirs.pk})
    assert listed.status_code == 200 and listed.json()["results"] == []
    own = api("alice").get(f"/api/v1/{url_base}/", {"customer": mine.pk}).json()["results"]
    assert own and {row["customer"] for row in own} == {mine.pk}
    # Not an id at all: a field error, never a 500.
    assert api("alice").get(f"/api/v1/{url_base}/", {"customer": "abc"}).status_code == 400


def test_the_filter_bar_html_is_never_shared_across_users(books, web):
    ((theirs, _contact, _followup),) = books["bob"]
    # bob's page (with his customer's name) is rendered first; alice's same URL must not reuse it.
    assert theirs.name in web("bob").get("/customers/contacts/", {"customer": theirs.pk}).content.decode()
    assert theirs.name not in web("alice").get("/customers/contacts/", {"customer": theirs.pk}).content.decode()


def test_scoped_choices_are_never_cached_for_everybody(org):
    from django import forms

    for model in (Customer, Contact):
        with pytest.raises(ValueError):
            cache_model_choices(forms.ModelChoiceField(queryset=model.objects.all()), "test")


@pytest.mark.parametrize("url_base", ["contacts", "followups"])
def test_list_pages_run_no_more_queries_for_more_customers(books, alice, web, url_base):
    from core.testing.helpers import get_with_sql

    client = web("alice")
    client.get(f"/customers/{url_base}/")
    _response, before = get_with_sql(client, f"/customers/{url_base}/")
    for i in range(25):
        make_customer(alice, name=f"新增客户{i}号")
    client.get(f"/customers/{url_base}/")
    _response, after = get_with_sql(client, f"/customers/{url_base}/")
    assert len(after) == len(before)
    # A chosen customer costs one query: its scope check, which also gives the name shown.
    mine = books["alice"][0][0]
    client.get(f"/customers/{url_base}/", {"customer": mine.pk})
    _response, filtered = get_with_sql(client, f"/customers/{url_base}/?customer={mine.pk}")
    assert len(filtered) <= len(before) + 1


# --- forms --------------------------------------------------------------------------------------
@pytest.mark.parametrize("form_class", [ContactForm, FollowUpForm])
@pytest.mark.parametrize("who", ["alice", "bob"])
def test_the_form_offers_only_the_viewers_customers(books, org, form_class, who):
    field = form_class(user=org[who]).fields["customer"]
    assert set(field.queryset.values_list("pk", flat=True)) == customers_of(books, who)
    assert isinstance(field.widget, AutocompleteSelect)


@pytest.mark.parametrize("url", ["/customers/followups/add/", "/customers/contacts/add/"])
def test_the_form_shows_nothing_of_a_customer_outside_the_scope(books, web, url):
    ((theirs, their_contact, _followup),) = books["bob"]
    mine, my_contact, _f = books["alice"][0]
    html = web("alice").get(url, {"customer": theirs.pk}).content.decode()
    assert theirs.name not in html
    assert their_contact.name not in html  # the follow-up form listed the contacts of bob's customer
    assert options(html, "customer") == []
    html = web("alice").get(url, {"customer": mine.pk}).content.decode()
    assert options(html, "customer") == [(str(mine.pk), mine.name)]
    if "followups" in url:
        assert options(html, "contact") == [(str(my_contact.pk), my_contact.name)]


def test_the_follow_up_form_refuses_a_customer_or_contact_outside_the_scope(books, web):
    ((theirs, their_contact, _followup),) = books["bob"]
    mine = books["alice"][0][0]
    client, before = web("alice"), FollowUp.objects.count()
    data = {"summary": "越权", "happened_at": "2026-03-01T10:00"}
    response = client.post("/customers/followups/add/", {**data, "customer": theirs.pk})
    assert response.status_code == 200 and 'data-field-error="customer"' in response.content.decode()
    assert their_contact.name not in response.content.decode()
    response = client.post("/customers/followups/add/", {**data, "customer": mine.pk, "contact": their_contact.pk})
    assert response.status_code == 200 and 'data-field-error="contact"' in response.content.decode()
    assert FollowUp.objects.count() == before


def test_a_later_queryset_stays_in_the_scope(books, alice):
    """A form that narrows a dropdown after restrict_choices (the follow-up form's contacts of the
    chosen customer) keeps the viewer's scope."""
    ((theirs, their_contact, _followup),) = books["bob"]
    form = FollowUpForm(user=alice)
    form.fields["contact"].queryset = Contact.objects.filter(customer=theirs)
    assert not form.fields["contact"].queryset.exists()
    form.fields["customer"].queryset = Customer.objects.all()
    assert set(form.fields["customer"].queryset.values_list("pk", flat=True)) == customers_of(books, "alice")


def test_the_widget_renders_a_bad_value_as_nothing(books, alice, django_assert_max_num_queries):
    field = FollowUpForm(user=alice).fields["customer"]
    for value in ("abc", str(10**30), "", None):
        with django_assert_max_num_queries(0):
            html = field.widget.render("customer", value, attrs={"id": "id_customer"})
        assert '<option value="" selected></option>' in html
    theirs = books["bob"][0][0]
    html = field.widget.render("customer", theirs.pk, attrs={"id": "id_customer"})
    assert theirs.name not in html


def test_the_widget_escapes_the_label_and_needs_no_id(alice):
    mine = make_customer(alice, name='<b>"龙湖"</b>')
    html = FollowUpForm(user=alice).fields["customer"].widget.render("customer", mine.pk)
    assert "<b>" not in html and "&lt;b&gt;&quot;龙湖&quot;&lt;/b&gt;" in html
    assert "None" not in html and 'name="customer"' in html


# --- API ----------------------------------------------------------------------------------------
def test_the_api_refuses_a_customer_outside_the_scope(books, api):
    ((theirs, their_contact, _followup),) = books["bob"]
    mine = books["alice"][0][0]
    client, before = api("alice"), (Contact.objects.count(), FollowUp.objects.count())
    response = client.post("/api/v1/contacts/", {"customer": theirs.pk, "name": "越权"}, format="json")
    assert response.status_code == 400
    assert "Invalid pk" in json.dumps(response.json()["errors"]["customer"])
    body = {"customer": mine.pk, "contact": their_contact.pk, "summary": "越权", "happened_at": "2026-03-01T10:00"}
    response = client.post("/api/v1/followups/", body, format="json")
    assert response.status_code == 400 and "contact" in response.json()["errors"]
    assert (Contact.objects.count(), FollowUp.objects.count()) == before
    assert client.post("/api/v1/contacts/", {"customer": mine.pk, "name": "张三"}, format="json").status_code == 201


def test_a_serializer_field_keeps_the_scope_whatever_queryset_it_gets(books, alice):
    from rest_framework.exceptions import ValidationError

    from core.registry import get_config

    theirs, mine = books["bob"][0][0], books["alice"][0][0]
    serializer = get_config(FollowUp).serializer_class(context={"request": request_of(alice)})
    field = serializer.fields["customer"]
    field.queryset = Customer.objects.all()  # as a subclass might set after __init__
    assert field.to_internal_value(mine.pk) == mine
    with pytest.raises(ValidationError, match="Invalid pk"):
        field.to_internal_value(theirs.pk)


# --- the autocomplete endpoint -----------------------------------------------------------------
def results(client, q, url=AUTOCOMPLETE):
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_autocomplete_returns_only_visible_rows(books, web, who):
    found = results(web(who), "龙湖")  # both alice's and bob's have it
    assert {row["id"] for row in found} == customers_of(books, who) & {
        c.pk for c, _ct, _f in books["alice"] + books["bob"] if "龙湖" in c.name
    }
    assert all(set(row) == {"id", "text"} for row in found)


def test_autocomplete_finds_by_chinese_substring_and_pinyin(books, web):
    client = web("alice")
    hangzhou, suzhou = (c for c, _ct, _f in books["alice"])
    assert [row["id"] for row in results(client, "恒通")] == [suzhou.pk]
    assert [row["text"] for row in results(client, "龙湖")] == [hangzhou.name]
    assert [row["id"] for row in results(client, "lhkj")] == [hangzhou.pk]  # pinyin initials
    assert [row["id"] for row in results(client, "hengtong")] == [suzhou.pk]  # full pinyin
    assert results(client, "盛世") == []  # charlie's
    assert results(client, "") == [] and results(client, "   ") == []  # at least one character


def test_autocomplete_returns_at_most_20_in_bounded_queries(books, alice, web, django_assert_max_num_queries):
    from core.testing.helpers import get_with_sql

    client = web("alice")
    results(client, "恒通")  # warm: session, permissions
    _response, few = get_with_sql(client, f"{AUTOCOMPLETE}?q=%E6%81%92%E9%80%9A")
    for i in range(30):
        make_customer(alice, name=f"恒通分公司{i}号")
    assert len(results(client, "恒通")) == 20
    response, many = get_with_sql(client, f"{AUTOCOMPLETE}?q=%E6%81%92%E9%80%9A")
    assert len(response.json()["results"]) == 20
    assert len(many) == len(few) <= 12, many  # no query per row


def test_autocomplete_is_404_for_a_model_not_registered_or_not_permitted(books, web, org):
    from accounts.models import User

    client = web("alice")
    for label in ("customers.ownerhistory", "nope.nothing", "customers", "customers.contact", "accounts.user"):
        assert client.get(f"/core/autocomplete/{label}/", {"q": "a"}).status_code == 404, label
    nobody = User.objects.create_user("nobody", password="x-pass-2026-long")
    client.force_login(nobody)
    assert client.get(AUTOCOMPLETE, {"q": "龙湖"}).status_code == 404


def test_autocomplete_requires_login(books, client):
    response = client.get(AUTOCOMPLETE, {"q": "龙湖"})
    assert response.status_code == 302 and "/login" in response["Location"]
