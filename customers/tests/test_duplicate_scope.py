"""Duplicate answers reveal only the summary (issue 10 item 7, CUS-15): outside the asker's scope,
every surface says that the customer exists and whose it is (owner and department), never its
name, code or contact data; inside it, name and code as before."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import ImportJob
from customers.importing import run_customer_import
from customers.models import Customer

from .factories import make_customer, reload, xlsx_bytes

pytestmark = pytest.mark.django_db

API, ADD = "/api/v1/customers/", "/customers/customers/add/"
PHONE, MOBILE, EMAIL = "021-64146000", "13900004146", "secret@alice.example"
SUMMARY = "a customer owned by 李爱丽 (华东销售部)"


@pytest.fixture
def secret(org):
    for user in org.values():  # answers in English, whatever the request's language
        user.language = "en"
        user.save(update_fields=["language"])
    return make_customer(org["alice"], name="SEC Alice Secret Co 4146", phone=PHONE, mobile=MOBILE, email=EMAIL)


@pytest.fixture
def en_api(api):
    """API clients asking for English (the API reads the language from Accept-Language)."""

    def make(username):
        client = api(username)
        client.credentials(HTTP_ACCEPT_LANGUAGE="en")
        return client

    return make


def leaks(text, customer):
    """What of the customer's own data `text` gives away (the asker typed the phone themselves,
    so only the data they did not send counts)."""
    found = [v for v in (customer.name, customer.code, "Secret", str(customer.pk) + "/") if v in text]
    return found


def assert_summary_only(text, customer, sent=()):
    assert SUMMARY in text or SUMMARY[0].upper() + SUMMARY[1:] in text, text
    assert leaks(text, customer) == [], text
    for value in {PHONE, MOBILE, EMAIL} - set(sent):
        assert value not in text, text


# --- the form's and the API's refusal --------------------------------------------------------------
@pytest.mark.parametrize("field, value", [("phone", PHONE), ("mobile", MOBILE), ("email", EMAIL)])
def test_web_create_names_only_the_owner_outside_scope(secret, web, field, value):
    response = web("charlie").post(ADD, {"name": "Charlie New Co", field: value})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["name"])
    assert_summary_only(errors, secret, sent=[value])
    assert_summary_only(response.content.decode(), secret, sent=[value])
    assert not Customer.objects.filter(name="Charlie New Co").exists()


def test_web_edit_names_only_the_owner_outside_scope(secret, charlie, web):
    own = make_customer(charlie, name="Charlie Own Co")
    response = web("charlie").post(
        f"/customers/customers/{own.pk}/edit/", {"name": "Charlie Own Co", "phone": PHONE, "_version": own.version}
    )
    assert response.status_code == 200
    assert_summary_only(" ".join(response.context["form"].errors["name"]), secret, sent=[PHONE])
    assert reload(own).phone == ""


def test_api_create_and_update_name_only_the_owner_outside_scope(secret, charlie, en_api):
    response = en_api("charlie").post(API, {"name": "Charlie New Co", "phone": PHONE}, format="json")
    assert response.status_code == 400
    assert_summary_only(str(response.json()), secret, sent=[PHONE])
    own = make_customer(charlie, name="Charlie Own Co")
    response = en_api("charlie").patch(f"{API}{own.pk}/", {"email": EMAIL, "version": own.version}, format="json")
    assert response.status_code == 400
    assert_summary_only(str(response.json()), secret, sent=[EMAIL])
    assert reload(own).email == ""


@pytest.mark.parametrize("username", ["alice", "manager"])
def test_in_scope_the_refusal_names_the_customer(secret, en_api, username):
    response = en_api(username).post(API, {"name": "Another Co", "phone": PHONE}, format="json")
    assert response.status_code == 400
    message = response.json()["errors"]["name"][0]
    assert f"{secret.name} ({secret.code})" in message and SUMMARY not in message


def test_a_pool_customer_is_summarised_as_in_the_pool(secret, alice, en_api):
    from customers.services import customer_release

    customer_release(actor=alice, customer=reload(secret), reason="x")
    response = en_api("charlie").post(API, {"name": "Charlie New Co", "phone": PHONE}, format="json")
    assert response.status_code == 400
    text = str(response.json())
    assert "a customer in the public pool" in text and leaks(text, secret) == []


# --- the duplicates endpoint and the as-you-type warning ---------------------------------------------
@pytest.mark.parametrize("params", [{"phone": PHONE}, {"mobile": MOBILE}, {"email": EMAIL}])
def test_duplicates_endpoint_gives_only_the_summary(secret, en_api, params):
    data = en_api("charlie").get(f"{API}duplicates/", params).json()
    assert data["visible"] == []
    assert data["hidden"] == [{"owner": "李爱丽", "department": "华东销售部", "in_pool": False, "summary": SUMMARY}]
    assert_summary_only(str(data), secret, sent=params.values())
    for username in ("alice", "manager"):
        data = en_api(username).get(f"{API}duplicates/", params).json()
        assert data == {"visible": [{"id": secret.pk, "code": secret.code, "name": secret.name}], "hidden": []}


@pytest.mark.parametrize("params", [{"phone": PHONE}, {"mobile": MOBILE}, {"email": EMAIL}])
def test_as_you_type_warning_gives_only_the_summary(secret, web, params):
    text = web("charlie").get("/customers/duplicate-check/", params).content.decode()
    assert 'id="duplicate-alert"' in text
    assert_summary_only(text, secret, sent=params.values())
    text = web("alice").get("/customers/duplicate-check/", params).content.decode()
    assert secret.name in text and secret.code in text and secret.get_absolute_url() in text


# --- the import report -----------------------------------------------------------------------------
def import_report(user, rows):
    job = ImportJob.objects.create(
        model_label="customers.customer",
        file=SimpleUploadedFile("c.xlsx", xlsx_bytes(["客户名称", "电话", "手机", "电子邮箱"], rows)),
        original_name="c.xlsx",
        options={"duplicate_strategy": "skip", "target": "me"},
        created_by=user,
    )
    run_customer_import(job, user=user, commit=False)
    job.refresh_from_db()
    return job


def test_import_report_gives_only_the_summary_outside_scope(secret, charlie, alice):
    rows = [["Charlie A", PHONE, "", ""], ["Charlie B", "", MOBILE, ""], ["Charlie C", "", "", EMAIL]]
    job = import_report(charlie, rows)
    assert job.skipped_rows == 3 and [e["row"] for e in job.errors] == [2, 3, 4]
    for entry in job.errors:
        assert entry["message"] == f"Duplicate found: {SUMMARY} — skipped."
    assert_summary_only(str(job.errors), secret, sent=[PHONE, MOBILE, EMAIL])
    job = import_report(alice, rows)
    assert [e["message"] for e in job.errors] == [f"Duplicate found: {secret.name} ({secret.code}) — skipped."] * 3
