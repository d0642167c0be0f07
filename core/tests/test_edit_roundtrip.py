"""Opening an existing record's edit form and saving it untouched changes nothing, for every
registered model in both languages (issue 11 item 9: zh-hans erased 成立日期 and 生日).

The form is read as a browser submits it (core.testing.forms): inputs whose value their type
rejects submit "" as in a browser.
"""

import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from core.registry import configs
from core.testing.forms import form_data

IGNORED = {"updated_at", "version", "search_text"}


@pytest.fixture
def demo(org):
    call_command("seed_demo", customers=6, stdout=io.StringIO())
    return org


def _state(obj):
    fields = [f.name for f in obj._meta.concrete_fields if f.name not in IGNORED]
    return model_to_dict(type(obj)._base_manager.get(pk=obj.pk), fields=fields)


def _editable():
    return [c for c in configs() if c.can_edit and c.url("edit", pk=1)]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_saving_an_untouched_edit_form_changes_nothing(demo, web, language):
    admin = demo["admin"]
    admin.language = language
    admin.save(update_fields=["language"])
    client = web("admin")
    checked, missing = [], []
    for config in _editable():
        obj = config.base_queryset().first()
        if obj is None:
            missing.append(config.label)
            continue
        url = config.url("edit", pk=obj.pk)
        before = _state(obj)
        page = client.get(url)
        assert page.status_code == 200, (config.label, page.status_code)
        data = form_data(page.content.decode(), id="object-form")
        response = client.post(url, data)
        assert response.status_code in (200, 204, 302), (config.label, response.status_code)
        errors = response.context["form"].errors if response.status_code == 200 and response.context else None
        assert not errors, (config.label, language, errors)
        after = _state(obj)
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        assert not changed, (config.label, language, changed)
        checked.append(config.label)
    assert not missing, f"demo data has no row of {missing}"
    assert {"customers.customer", "customers.contact", "customers.followup"} <= set(checked)
