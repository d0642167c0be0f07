"""Records pending review are private all the way down (issue 10 item 6, PLAT-16): the contacts
and follow-ups of a customer nobody else may see yet are hidden with it, on every surface."""

import pytest

from customers.models import Contact, FollowUp
from customers.services import customer_review

from .factories import make_contact, make_customer, make_followup, reload

pytestmark = pytest.mark.django_db

CONTACT_NAME, SUMMARY, MOBILE = "审核联系人", "审核中的跟进", "13912345678"


@pytest.fixture
def pending(alice, param):
    """alice's new customer while review is on, with a contact and a follow-up."""
    param("data_review_enabled", 1)
    customer = make_customer(alice, name="待审核机密公司")
    assert customer.review_status == "pending"
    contact = make_contact(alice, customer, name=CONTACT_NAME, mobile=MOBILE)
    followup = make_followup(alice, customer, summary=SUMMARY)
    return customer, contact, followup


def seen_by(api, web, username, customer, contact, followup):
    """Which surfaces show the pending records to `username` (each True/False)."""
    client, browser = api(username), web(username)
    # Pages echo the query in the search box: a record is shown when its link is.
    contact_url, followup_url = f'href="{contact.get_absolute_url()}"', f'href="{followup.get_absolute_url()}"'

    def api_ids(url, **params):
        response = client.get(url, params)
        if response.status_code == 400 and "customer" in params:
            return set()  # a filter value outside the viewer's scope is refused, not answered
        assert response.status_code == 200, url
        return {row["id"] for row in response.json()["results"]}

    def page(url, **params):
        response = browser.get(url, params)
        assert response.status_code == 200, url
        return response.content.decode()

    return {
        "api customer": client.get(f"/api/v1/customers/{customer.pk}/").status_code == 200,
        "api contact": client.get(f"/api/v1/contacts/{contact.pk}/").status_code == 200,
        "api followup": client.get(f"/api/v1/followups/{followup.pk}/").status_code == 200,
        "api contact list": contact.pk in api_ids("/api/v1/contacts/"),
        "api followup list": followup.pk in api_ids("/api/v1/followups/"),
        "api contact ?q=name": contact.pk in api_ids("/api/v1/contacts/", q=CONTACT_NAME),
        "api contact ?q=mobile": contact.pk in api_ids("/api/v1/contacts/", q=MOBILE),
        "api contact ?q=customer": contact.pk in api_ids("/api/v1/contacts/", q="待审核机密"),
        "api followup ?q=summary": followup.pk in api_ids("/api/v1/followups/", q=SUMMARY),
        "api contact ?customer=": contact.pk in api_ids("/api/v1/contacts/", customer=customer.pk),
        "api followup ?customer=": followup.pk in api_ids("/api/v1/followups/", customer=customer.pk),
        "web contact": browser.get(f"/customers/contacts/{contact.pk}/").status_code == 200,
        "web followup": browser.get(f"/customers/followups/{followup.pk}/").status_code == 200,
        "web contact list": contact_url in page("/customers/contacts/"),
        "web followup list": followup_url in page("/customers/followups/"),
        "web contact ?q=": contact_url in page("/customers/contacts/", q=CONTACT_NAME),
        "web followup ?q=": followup_url in page("/customers/followups/", q=SUMMARY),
        "global search name": contact_url in page("/core/search/", q=CONTACT_NAME),
        "global search mobile": contact_url in page("/core/search/", q=MOBILE),
    }


def test_children_of_a_pending_customer_are_hidden_from_exec(pending, api, web):
    seen = seen_by(api, web, "exec", *pending)
    assert not any(seen.values()), [surface for surface, shown in seen.items() if shown]
    # Not found, not forbidden: nothing tells that the record exists.
    customer, contact, followup = pending
    assert api("exec").get(f"/api/v1/contacts/{contact.pk}/").status_code == 404
    assert api("exec").get(f"/api/v1/followups/{followup.pk}/").status_code == 404
    assert web("exec").get(f"/customers/contacts/{contact.pk}/").status_code == 404
    assert web("exec").get(f"/customers/followups/{followup.pk}/").status_code == 404


@pytest.mark.parametrize("username", ["alice", "manager"])
def test_the_author_and_reviewers_see_the_children(pending, api, web, username):
    seen = seen_by(api, web, username, *pending)
    assert all(seen.values()), [surface for surface, shown in seen.items() if not shown]


def test_children_show_once_the_customer_is_approved(pending, api, web, manager):
    customer, contact, followup = pending
    customer_review(actor=manager, customer=reload(customer), approve=True)
    seen = seen_by(api, web, "exec", customer, contact, followup)
    assert all(seen.values()), [surface for surface, shown in seen.items() if not shown]


def test_children_keep_the_data_scope(pending, api, web, manager):
    """bob (same department, own scope) saw none of alice's children before; still none after approval."""
    customer, contact, followup = pending
    customer_review(actor=manager, customer=reload(customer), approve=True)
    seen = seen_by(api, web, "bob", customer, contact, followup)
    assert not any(seen.values()), [surface for surface, shown in seen.items() if shown]


def test_child_scope_is_the_customers_scope(pending, org):
    """For every persona and action, the children visible are exactly those of visible customers."""
    from customers.models import Customer

    for username in ("alice", "bob", "charlie", "manager", "exec", "agent", "admin"):
        user = org[username]
        for action in ("view", "change", "delete"):
            parents = set(Customer.objects.visible_to(user, "view").values_list("pk", flat=True))
            for model in (Contact, FollowUp):
                rows = model.objects.visible_to(user, action)
                if not user.has_perm(f"customers.{action}_{model._meta.model_name}"):
                    assert not rows.exists()
                    continue
                assert set(rows.values_list("customer_id", flat=True)) <= parents, (username, action, model)
                expected = set(model.objects.filter(customer_id__in=parents).values_list("pk", flat=True))
                assert set(rows.values_list("pk", flat=True)) == expected, (username, action, model)
