"""The audit log follows the data scope (issue 10 item 4).

An entry about an object is visible while its reader may view the object (deleted ones as the
recycle bin shows them, purged ones never); `accounts.view_all_audit` lifts the scope; entries
without an object are their actor's.
"""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import AuditEntry, Role, User
from core.audit import audit_log
from core.scopes import DataScope
from core.testing.helpers import get_with_sql

pytestmark = pytest.mark.django_db

API = "/api/v1/audit-log/"
WEB = "/accounts/audit-log/"


def make_customer(actor, **data):
    from customers.services import customer_service

    return customer_service.create(actor=actor, data={"name": "审计范围测试公司", "phone": "021-66668888", **data})


def add_role(user, code, *perms, scope=DataScope.OWN):
    """Give `user` one more role holding `perms` ("app.codename"); the widest scope still wins."""
    role = Role.objects.create(name=code, code=code, data_scope=scope)
    for perm in perms:
        app, codename = perm.split(".")
        role.permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    user.roles.add(role)
    return User.objects.get(pk=user.pk)


def api_ids(client, **params):
    response = client.get(API, {"page_size": 200, **params})
    assert response.status_code == 200, response.content
    return {e["id"] for e in response.json()["results"]}


def web_ids(client, **params):
    response = client.get(WEB, {"per_page": 200, **params})
    assert response.status_code == 200
    return {row.record.pk for row in response.context["table"].page.object_list}


def export_text(client, **params):
    response = client.get(WEB + "export/", {"format": "csv", **params})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def outside(org):
    """A customer of the customer-service department: outside the sales manager's tree."""
    customer = make_customer(org["admin"], owner=org["agent"])
    assert customer.department.code == "CS"
    entry = AuditEntry.objects.for_object(customer).get(action="create")
    assert entry.changes["phone"] == [None, "021-66668888"]
    return customer, entry


def test_manager_cannot_read_the_entries_of_a_customer_outside_the_scope(api, web, org, outside):
    customer, entry = outside
    client = api("manager")
    assert client.get(f"/api/v1/customers/{customer.pk}/").status_code == 404
    query = {"object_type": "customers.customer", "object_id": customer.pk, "action": "create"}
    body = client.get(API, query).json()
    assert body["count"] == 0 and body["results"] == []
    assert client.get(f"{API}{entry.pk}/").status_code == 404
    assert entry.pk not in api_ids(client)

    browser = web("manager")
    assert web_ids(browser, **query) == set()
    assert entry.pk not in web_ids(browser)
    assert browser.get(f"{WEB}{entry.pk}/").status_code == 404
    add_role(org["manager"], "audit_export", "accounts.export_auditentry")
    exported = export_text(browser)
    assert customer.name not in exported and "021-66668888" not in exported
    assert str(org["manager"]) in exported  # the export itself ran: other rows are there


def test_manager_reads_the_entries_of_a_customer_in_the_scope(api, org):
    customer = make_customer(org["alice"])
    entry = AuditEntry.objects.for_object(customer).get(action="create")
    body = api("manager").get(API, {"object_type": "customers.customer", "object_id": customer.pk}).json()
    assert [e["id"] for e in body["results"]] == [entry.pk]
    assert body["results"][0]["changes"]["name"] == [None, customer.name]


def test_alice_sees_her_customers_entries_and_no_one_elses(api, web, org):
    mine = make_customer(org["alice"])
    bobs = make_customer(org["bob"], name="鲍勃的客户", phone="021-55556666")
    alice = add_role(org["alice"], "audit_reader", "accounts.view_auditentry", "accounts.export_auditentry")
    audit_log(actor=alice, action="login", obj=alice)
    audit_log(actor=org["bob"], action="login", obj=org["bob"])
    audit_log(actor=alice, action="export", model=type(mine), object_repr="customers")
    audit_log(actor=org["bob"], action="export", model=type(mine), object_repr="customers")
    visible = set(AuditEntry.objects.all().visible_to(alice).values_list("pk", flat=True))
    expected = set(AuditEntry.objects.for_object(mine).values_list("pk", flat=True))
    expected |= set(AuditEntry.objects.filter(actor=alice, action__in=["login", "export"]).values_list("pk", flat=True))
    assert visible == expected
    client = api("alice")
    client.force_authenticate(alice)  # with the role just added
    assert api_ids(client) == expected
    listed = web_ids(web("alice"))  # her web login adds one entry of her own
    assert listed >= expected
    assert not listed & set(
        AuditEntry.objects.exclude(pk__in=expected).exclude(actor=alice).values_list("pk", flat=True)
    )
    exported = export_text(web("alice"))
    assert mine.name in exported and bobs.name not in exported and "021-55556666" not in exported


def test_the_admin_and_an_audit_permission_holder_see_everything(api, org, outside):
    customer, entry = outside
    assert entry.pk in api_ids(api("admin"))
    holder = add_role(org["manager"], "auditor", "accounts.view_all_audit")
    client = api("manager")
    client.force_authenticate(holder)
    body = client.get(API, {"object_type": "customers.customer", "object_id": customer.pk}).json()
    assert [e["id"] for e in body["results"]] == [entry.pk]
    assert body["results"][0]["changes"]["phone"] == [None, "021-66668888"]


def test_the_audit_permission_holder_pays_for_no_subquery(org, outside, web):
    holder = add_role(org["manager"], "auditor", "accounts.view_all_audit")
    browser = web("manager")
    browser.force_login(holder)

    def audit_sql(client):
        _response, sql = get_with_sql(client, WEB)
        return [q for q in sql if 'FROM "accounts_auditentry"' in q]

    assert audit_sql(browser)
    assert not any('"customers_customer"' in q or "CASE WHEN" in q for q in audit_sql(browser))
    # Without the permission the probes are inline, in the same statements.
    assert any('"customers_customer"' in q for q in audit_sql(web("exec")))


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_scope(org, web, api, outside):
    from customers.tests.factories import make_contact

    clients = {"web": web("manager"), "api": api("manager")}
    urls = {"web": WEB, "api": API}
    for key, client in clients.items():
        client.get(urls[key])  # content types and session warm
    before = {k: len(get_with_sql(c, urls[k])[1]) for k, c in clients.items()}
    for i in range(5):
        customer = make_customer(org["alice"], name=f"数量客户{i}", phone=f"021-6000000{i}")
        make_contact(org["alice"], customer, name=f"联系人{i}")
    after = {k: len(get_with_sql(c, urls[k])[1]) for k, c in clients.items()}
    assert after == before


def test_deleted_objects_follow_the_recycle_bin_and_purged_ones_vanish(org):
    from customers.services import customer_service

    customer = make_customer(org["alice"])
    reader = add_role(org["alice"], "audit_reader", "accounts.view_auditentry")
    executive = User.objects.get(pk=org["exec"].pk)  # all records, read-only: no recycle bin
    created = AuditEntry.objects.for_object(customer).get(action="create")
    assert created in AuditEntry.objects.all().visible_to(executive)

    customer_service.delete(actor=reader, instance=customer)
    entries = set(AuditEntry.objects.for_object(customer))
    assert len(entries) == 2
    assert set(AuditEntry.objects.all().visible_to(reader)) >= entries  # may change: sees the bin
    assert set(AuditEntry.objects.all().visible_to(User.objects.get(pk=org["manager"].pk))) >= entries
    assert not set(AuditEntry.objects.all().visible_to(executive)) & entries

    customer_service.purge(actor=org["admin"], instance=type(customer).all_objects.get(pk=customer.pk))
    entries = set(AuditEntry.objects.for_object(customer))
    assert len(entries) == 3
    for user in (reader, org["manager"], executive):
        assert not set(AuditEntry.objects.all().visible_to(User.objects.get(pk=user.pk))) & entries
    assert set(AuditEntry.objects.all().visible_to(org["admin"])) >= entries
    holder = add_role(org["manager"], "auditor", "accounts.view_all_audit")
    assert set(AuditEntry.objects.all().visible_to(holder)) >= entries


def test_object_less_entries_are_their_actors(org):
    manager = User.objects.get(pk=org["manager"].pk)
    mine = audit_log(actor=manager, action="export", model=User, object_repr="users")
    theirs = audit_log(actor=org["exec"], action="export", model=User, object_repr="users")
    failed = audit_log(actor=None, action="login_failed", object_repr="ghost", message="unknown user")
    visible = set(AuditEntry.objects.all().visible_to(manager))
    assert mine in visible and theirs not in visible and failed not in visible
    assert {mine, theirs, failed} <= set(AuditEntry.objects.all().visible_to(org["admin"]))


def test_export_action_needs_the_export_permission_first(org, outside):
    manager = User.objects.get(pk=org["manager"].pk)
    audit_log(actor=manager, action="login", obj=manager)
    assert not AuditEntry.objects.all().visible_to(manager, "export").exists()
    assert AuditEntry.objects.all().visible_to(manager, "view").exists()


def test_the_role_form_names_the_audit_permission(web, org):
    User.objects.filter(username="admin").update(language="en")
    page = web("admin").get("/accounts/roles/add/").content.decode()
    assert "audit entry: Can view the whole audit log, whatever the data scope" in page
    assert "audit entry: view<" in page  # the plain view permission keeps its short label
