"""System parameters: defaults, editing by the administrator, typed values, cache."""

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import AuditEntry
from basedata import parameters
from basedata.models import SystemParameter
from basedata.parameters import get_parameter
from basedata.services import parameters_ensure
from core.testing.helpers import assert_unchanged, snapshot

pytestmark = pytest.mark.django_db


def edit(client, param, value, **extra):
    return client.post(f"/basedata/parameters/{param.pk}/edit/", {"value": value, "_version": param.version, **extra})


def test_every_default_exists_after_migrate():
    keys = set(SystemParameter.objects.values_list("key", flat=True))
    assert set(parameters.DEFAULTS) <= keys


def test_defaults_are_typed():
    assert get_parameter("reminder_lead_minutes") == 30
    assert get_parameter("email_enabled") is True
    assert get_parameter("sms_enabled") is False
    assert get_parameter("company_name") == "关系科技有限公司"
    assert get_parameter("no_such_key", "fallback") == "fallback"


def test_parameters_ensure_is_idempotent_and_keeps_values(django_capture_on_commit_callbacks):
    SystemParameter.objects.filter(key="company_phone").update(value="010-1")
    SystemParameter.objects.filter(key="pool_recycle_days").delete()
    count = SystemParameter.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        parameters_ensure()
        parameters_ensure()
    assert SystemParameter.objects.count() == count + 1
    assert SystemParameter.objects.get(key="company_phone").value == "010-1"
    assert SystemParameter.objects.get(key="pool_recycle_days").value == "30"


def test_admin_edit_changes_the_value_everyone_reads(web, org, django_capture_on_commit_callbacks):
    param = SystemParameter.objects.get(key="reminder_lead_minutes")
    assert get_parameter("reminder_lead_minutes") == 30  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        response = edit(web("admin"), param, "45")
    assert response.status_code == 302
    assert get_parameter("reminder_lead_minutes") == 45
    param.refresh_from_db()
    assert (param.value, param.version) == ("45", 2)
    entry = AuditEntry.objects.get(action="update", content_type__model="systemparameter")
    assert entry.changes == {"value": ["30", "45"]}


def test_integer_parameter_rejects_text(web, org, django_capture_on_commit_callbacks):
    param = SystemParameter.objects.get(key="reminder_lead_minutes")
    before = snapshot(param)
    with django_capture_on_commit_callbacks(execute=True):
        response = edit(web("admin"), param, "abc")
    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = [str(_("Enter a whole number.")), "Enter a whole number."]
    assert response.context["form"].errors["value"][0] in expected
    assert 'data-field-error="value"' in response.content.decode()
    assert_unchanged(param, before)
    assert get_parameter("reminder_lead_minutes") == 30


def test_boolean_parameter_accepts_only_yes_or_no(web, org, django_capture_on_commit_callbacks):
    param = SystemParameter.objects.get(key="sms_enabled")
    response = edit(web("admin"), param, "maybe")
    assert "value" in response.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        assert edit(web("admin"), param, "1").status_code == 302
    assert get_parameter("sms_enabled") is True


def test_api_edit_clears_the_cache_and_validates(api, org, django_capture_on_commit_callbacks):
    param = SystemParameter.objects.get(key="pool_claim_daily_quota")
    assert get_parameter("pool_claim_daily_quota") == 10
    client = api("admin")
    bad = client.patch(f"/api/v1/parameters/{param.pk}/", {"value": "ten", "version": 1}, format="json")
    assert bad.status_code == 400
    assert "value" in bad.json()["errors"]
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.patch(f"/api/v1/parameters/{param.pk}/", {"value": "12", "version": 1}, format="json")
    assert ok.status_code == 200
    assert get_parameter("pool_claim_daily_quota") == 12


def test_edit_form_offers_the_control_of_its_type(web, org):
    text = SystemParameter.objects.get(key="company_name")
    logo = SystemParameter.objects.get(key="company_logo")
    assert set(web("admin").get(f"/basedata/parameters/{text.pk}/edit/").context["form"].fields) == {"value"}
    assert set(web("admin").get(f"/basedata/parameters/{logo.pk}/edit/").context["form"].fields) == {"image"}


def test_saving_an_image_parameter_without_a_new_file_keeps_it(web, org, settings, tmp_path):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    param = SystemParameter.objects.get(key="company_logo")
    param.image.save("logo.png", ContentFile(b"\x89PNG fake"), save=True)
    param.refresh_from_db()
    response = edit(web("admin"), param, "ignored")
    assert response.status_code == 302
    param.refresh_from_db()
    assert param.value == ""  # an image parameter has no text value to edit
    assert param.image.name.startswith("parameters/logo")
    assert not AuditEntry.objects.filter(action="update", content_type__model="systemparameter").exists()
