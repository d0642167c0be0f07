"""Attachments (issue 10 item 12): upload rules, the scope-checked download, links that reach it.

Files live in Django's InMemoryStorage here: nothing in the code path may use a file-system path
(object storage must be able to replace the file system)."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

import customers.demo  # noqa: F401  (the customers permissions of the demo roles)
from core import files
from customers.models import FollowUp
from customers.tests.factories import make_customer, make_followup, reload, set_parameter

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
EXE = b"MZ" + b"\x90" * 58 + (64).to_bytes(4, "little") + b"PE\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def memory_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def ooxml(folder="word/"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<w:document/>")
    return buffer.getvalue()


def followup_with_file(owner, name="报价单.pdf", content=PDF):
    followup = make_followup(owner, make_customer(owner))
    followup.attachment.save(name, ContentFile(content), save=True)
    return reload(followup)


def url(followup):
    return f"/core/files/customers.followup/{followup.pk}/attachment/"


# --- the validator -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", PDF),
        ("photo.png", PNG),
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
        ("anim.gif", b"GIF89a\x01\x00\x01\x00"),
        ("pic.webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "),
        ("合同.docx", ooxml("word/")),
        ("report.xlsx", ooxml("xl/")),
        ("old.doc", OLE2),
        ("locked.docx", OLE2),  # password-protected OOXML is an OLE2 container
        ("表格.et", OLE2),
        ("notes.txt", "客户要求下周报价".encode("gb18030")),
        ("list.csv", "名称,电话\n甲公司,010-1234\n".encode()),
        ("bundle.zip", ooxml("x/")),
        ("bundle.7z", b"7z\xbc\xaf\x27\x1c\x00\x04"),
        ("bundle.rar", b"Rar!\x1a\x07\x01\x00"),
    ],
)
def test_allowed_types_are_accepted(name, content):
    files.validate_attachment(upload(name, content))


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("evil.html", HTML, "file_type"),
        ("evil.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "file_type"),
        ("evil.js", b"alert(1)", "file_type"),
        ("setup.exe", EXE, "file_type"),
        ("README", b"plain", "no_extension"),
        ("evil.png", HTML, "file_content"),  # HTML disguised as an image
        ("evil.txt", b"  <html><script>alert(1)</script>", "file_content"),
        ("evil.pdf", b"<svg onload=alert(1)>%PDF-1.4", "file_content"),
        ("evil.csv", b"<?xml version='1.0'?><x/>", "file_content"),
        ("setup.pdf", EXE, "file_content"),
        ("fake.png", PDF, "file_content"),
        ("fake.docx", b"PK\x03\x04" + b"\x00" * 100, "file_content"),  # a zip but no document inside
        ("fake.docx", ooxml("xl/"), "file_content"),  # a workbook named .docx
        ("binary.txt", b"\x00\x01\x02\x03", "file_content"),
    ],
)
def test_refused_types_name_the_reason(name, content, code):
    with pytest.raises(ValidationError) as caught:
        files.validate_attachment(upload(name, content))
    assert caught.value.code == code


def test_size_limit_comes_from_the_parameter():
    set_parameter("attachment_max_mb", 1)
    files.validate_attachment(upload("ok.pdf", PDF + b"0" * (1024 * 1024 - len(PDF))))
    with pytest.raises(ValidationError) as caught:
        files.validate_attachment(upload("big.pdf", PDF + b"0" * (1024 * 1024)))
    assert caught.value.code == "file_size" and "1.0\xa0MB" in caught.value.messages[0]


def test_type_list_comes_from_the_parameter_but_never_admits_markup():
    set_parameter("attachment_extensions", "pdf，PNG; .dwg html svg <script>")
    assert files.allowed_extensions() == ["pdf", "png", "dwg"]
    files.validate_attachment(upload("plan.dwg", b"AC1032\x00\x00"))
    for name, content in (("a.docx", ooxml()), ("a.html", HTML), ("a.svg", b"<svg/>")):
        with pytest.raises(ValidationError):
            files.validate_attachment(upload(name, content))
    with pytest.raises(ValidationError) as caught:
        files.validate_attachment(upload("plan.dwg", HTML))  # an added type still gets the content check
    assert caught.value.code == "file_content"


def test_only_business_model_file_fields_are_attachments():
    from basedata.models import SystemParameter
    from core.models import ImportJob

    assert files.is_attachment_field(FollowUp, "attachment")
    assert not files.is_attachment_field(FollowUp, "summary")
    assert not files.is_attachment_field(SystemParameter, "image")  # its own rules (basedata)
    assert not files.is_attachment_field(ImportJob, "file")


# --- the follow-up form and API ----------------------------------------------------------------
def _form_data(customer):
    return {"customer": customer.pk, "summary": "发送报价", "happened_at": "2026-01-05T10:00"}


def test_web_form_refuses_html_and_disguised_html(alice, web):
    customer = make_customer(alice)
    client = web("alice")
    for name, content in (("evil.html", HTML), ("evil.png", HTML)):
        response = client.post(
            "/customers/followups/add/", {**_form_data(customer), "attachment": upload(name, content)}
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == ["attachment"], errors
    assert "cannot be attached" in errors["attachment"][0]
    assert not FollowUp.objects.exists()


def test_web_form_refuses_an_oversized_file(alice, web):
    set_parameter("attachment_max_mb", 1)
    customer = make_customer(alice)
    big = upload("big.pdf", PDF + b"0" * (1024 * 1024 + 1))
    response = web("alice").post("/customers/followups/add/", {**_form_data(customer), "attachment": big})
    assert "at most 1.0\xa0MB" in response.context["form"].errors["attachment"][0]
    assert not FollowUp.objects.exists()


def test_web_form_stores_an_allowed_file_through_the_storage_api(alice, web):
    from django.core.files.storage import default_storage

    customer = make_customer(alice)
    response = web("alice").post(
        "/customers/followups/add/", {**_form_data(customer), "attachment": upload("报价单.pdf", PDF)}
    )
    assert response.status_code == 302
    followup = FollowUp.objects.get()
    assert followup.attachment.name.startswith("followups/") and followup.attachment.name.endswith(".pdf")
    assert default_storage.open(followup.attachment.name).read() == PDF  # InMemoryStorage: no disk path
    form_page = web("alice").get(f"/customers/followups/{followup.pk}/edit/").content.decode()
    assert f'href="{url(followup)}"' in form_page and "/media/" not in form_page
    assert 'accept=".doc,.docx,.xls,' in form_page


def test_api_refuses_html_and_accepts_png(alice, api):
    customer = make_customer(alice)
    client = api("alice")
    data = {"customer": customer.pk, "summary": "发送资料", "happened_at": "2026-01-05T10:00:00+08:00"}
    for name, content in (("evil.html", HTML), ("evil.png", HTML)):
        response = client.post("/api/v1/followups/", {**data, "attachment": upload(name, content)}, format="multipart")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["attachment"]
    assert not FollowUp.objects.exists()
    response = client.post("/api/v1/followups/", {**data, "attachment": upload("图.png", PNG)}, format="multipart")
    assert response.status_code == 201, response.json()
    followup = FollowUp.objects.get()
    assert response.json()["attachment"] == f"http://testserver/api/v1/followups/{followup.pk}/attachment/"
    listed = client.get("/api/v1/followups/").json()["results"][0]["attachment"]
    assert listed.endswith(f"/api/v1/followups/{followup.pk}/attachment/") and "/media/" not in listed


def test_api_refuses_an_oversized_file(alice, api):
    set_parameter("attachment_max_mb", 1)
    followup = make_followup(alice, make_customer(alice))
    response = api("alice").patch(
        f"/api/v1/followups/{followup.pk}/",
        {"attachment": upload("big.png", PNG + b"0" * (1024 * 1024))},
        format="multipart",
    )
    assert response.status_code == 400 and "attachment" in response.json()["errors"]
    assert not reload(followup).attachment


# --- downloads ---------------------------------------------------------------------------------
def _assert_download_headers(response, content=PDF, content_type="application/pdf"):
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]


def test_owner_downloads_her_own_with_safe_headers(alice, web):
    followup = followup_with_file(alice)
    response = web("alice").get(url(followup))
    _assert_download_headers(response)
    # RFC 5987: the Chinese name survives, percent-encoded as UTF-8.
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"


def test_others_outside_scope_get_404_and_the_manager_200(alice, bob, charlie, manager, web):
    followup = followup_with_file(alice)
    assert web("bob").get(url(followup)).status_code == 404
    assert web("charlie").get(url(followup)).status_code == 404
    _assert_download_headers(web("manager").get(url(followup)))


def test_anonymous_is_sent_to_login(alice, client):
    followup = followup_with_file(alice)
    response = client.get(url(followup))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/api/v1/followups/{followup.pk}/attachment/").status_code == 401


def test_legacy_html_upload_is_sent_as_an_inert_download(alice, web):
    followup = followup_with_file(alice, name="evil.html", content=HTML)  # stored before the rules
    _assert_download_headers(web("alice").get(url(followup)), content=HTML, content_type="application/octet-stream")


def test_what_is_not_an_attachment_answers_404(alice, admin_user, web):
    from basedata.models import SystemParameter

    followup = followup_with_file(alice)
    client = web("admin")
    assert client.get(url(followup)).status_code == 200
    parameter = SystemParameter.objects.create(key="logo_test", label="标志", label_en="Logo", kind="image")
    parameter.image.save("logo.png", ContentFile(PNG), save=True)
    for path in (
        f"/core/files/basedata.systemparameter/{parameter.pk}/image/",
        f"/core/files/customers.followup/{followup.pk}/summary/",
        f"/core/files/customers.nothing/{followup.pk}/attachment/",
        f"/core/files/nonsense/{followup.pk}/attachment/",
        f"/core/files/customers.followup/{10**30}/attachment/",
        f"/core/files/customers.followup/{followup.pk + 1}/attachment/",
    ):
        assert client.get(path).status_code == 404, path
    empty = make_followup(alice, make_customer(alice))
    assert client.get(url(empty)).status_code == 404
    followup.attachment.storage.delete(followup.attachment.name)  # row outlived its file
    assert client.get(url(followup)).status_code == 404


def test_deleted_followup_file_is_not_served(alice, web):
    from customers.services import followup_service

    followup = followup_with_file(alice)
    followup_service.delete(actor=alice, instance=followup)
    assert web("alice").get(url(followup)).status_code == 404


def test_api_download_is_scoped_like_the_record(alice, bob, manager, api):
    followup = followup_with_file(alice, name="photo.png", content=PNG)
    path = f"/api/v1/followups/{followup.pk}/attachment/"
    _assert_download_headers(api("alice").get(path, HTTP_ACCEPT="image/png"), content=PNG, content_type="image/png")
    _assert_download_headers(api("manager").get(path), content=PNG, content_type="image/png")
    response = api("bob").get(path)
    assert response.status_code == 404 and "errors" in response.json()
    empty = make_followup(alice, make_customer(alice))
    assert api("alice").get(f"/api/v1/followups/{empty.pk}/attachment/").status_code == 404


def test_api_download_is_in_the_openapi_schema(api):
    schema = api("admin").get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/followups/{id}/attachment/"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert "404" in operation["responses"]


# --- links on the pages ------------------------------------------------------------------------
def test_pages_link_to_the_checked_download_never_to_media(alice, web):
    followup = followup_with_file(alice)
    client = web("alice")
    customer_page = client.get(followup.customer.get_absolute_url()).content.decode()
    detail_page = client.get(followup.get_absolute_url()).content.decode()
    for page in (customer_page, detail_page):
        assert f'href="{url(followup)}"' in page
        assert "/media/" not in page
        assert "报价单.pdf" in page


def test_text_that_merely_starts_like_a_program_header_is_text():
    files.validate_attachment(upload("codes.csv", b"MZ" + b"0123456789," * 20))
