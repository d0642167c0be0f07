"""Opening an existing record's edit form in Chromium and saving it untouched changes nothing, for
every registered editable model, in Chinese and in English (issue 11 item 9: in zh-hans the date
widget rendered 2004/04/02, which <input type="date"> drops, and saving erased 成立日期 and 生日).

core/tests/test_edit_roundtrip.py checks the same through the test client, reading the form as a
browser would; this one lets the real browser decide what it shows and submits (value
sanitising, scripts that fill or reset inputs on load).
Run: DJANGO_ALLOW_ASYNC_UNSAFE=true .venv/bin/pytest -p no:cacheprovider -q tests/e2e/test_edit_roundtrip.py
"""

import contextlib
import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict

from core.registry import configs

from .test_customers import TIMEOUT, sign_in

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Session-scoped fixtures defined as instance methods"),
]

IGNORED = {"updated_at", "version", "search_text"}
# The record to open where the first row would not prove the point: the date must be stored, and
# the date-time must have seconds (the input shows minutes; core.forms.keep_stored_precision).
CHOSEN = {
    "customers.customer": {"founded_on__isnull": False},
    "customers.contact": {"birthday__isnull": False},
    "customers.followup": {"happened_at__second__gt": 0},
}
# Date inputs that must show the stored date before saving (zh-hans is where they went blank).
DATE_INPUTS = {"customers.customer": "founded_on", "customers.contact": "birthday"}


def _editable():
    return [c for c in configs() if c.can_edit and c.url("edit", pk=1)]


def _state(model, pk):
    obj = model._base_manager.get(pk=pk)
    names = [f.name for f in obj._meta.concrete_fields if f.name not in IGNORED]
    state = model_to_dict(obj, fields=names)
    # Many-to-many values (tags, role permissions) are fields of the record too; a widget that
    # submits none of its options would empty them.
    for f in obj._meta.many_to_many:
        state[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return state


def _quiet_database(live_server):
    """Hold the server's request lock while the test reads the database.

    On in-memory SQLite the server threads share the test's connection (tests/e2e/conftest.py);
    the detail page may still be loading parts (htmx) while the test reads, and the lock keeps
    those requests and the test's queries from running on that connection at the same time."""
    lock = getattr(getattr(live_server.thread, "httpd", None), "lock", None)
    return lock if lock is not None else contextlib.nullcontext()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_saving_an_untouched_edit_form_in_the_browser_changes_nothing(page, live_server, org, language):
    call_command("seed_demo", customers=6, stdout=io.StringIO())
    admin = org["admin"]  # sees every model and every row
    sign_in(page, live_server, admin, language=language)

    checked, missing, problems = [], [], []
    for config in _editable():
        obj = config.base_queryset().filter(**CHOSEN.get(config.label, {})).order_by("pk").first()
        if obj is None:
            missing.append(config.label)
            continue
        model, label = type(obj), config.label
        edit_url, detail_url = config.url("edit", pk=obj.pk), config.url(pk=obj.pk)
        with _quiet_database(live_server):
            before = _state(model, obj.pk)

        response = page.goto(f"{live_server.url}{edit_url}")
        if response is None or response.status != 200:
            problems.append(f"{label}: GET {edit_url} answered {response and response.status}")
            continue
        date_field = DATE_INPUTS.get(label)
        if date_field and language == "zh-hans":
            # The DOM value, i.e. what the browser kept of the rendered value attribute.
            shown = page.locator(f"#object-form #id_{date_field}").input_value()
            if shown != before[date_field].isoformat():
                problems.append(f"{label}: {date_field} shows {shown!r}, stored {before[date_field].isoformat()}")

        with page.expect_navigation(timeout=TIMEOUT):
            page.locator("#object-form #save").click()
        errors = page.locator("#form-errors, [data-field-error]").all_inner_texts()
        if errors or page.url != f"{live_server.url}{detail_url}":
            problems.append(f"{label}: save did not succeed (at {page.url}): {errors}")
        elif not page.locator(".crm-messages .alert-success").count():
            problems.append(f"{label}: no success message on {page.url}")

        with _quiet_database(live_server):
            after = _state(model, obj.pk)
        changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
        if changed:
            problems.append(f"{label}: changed by an untouched save: {changed}")
        checked.append(label)

    assert not missing, f"demo data has no row of {missing}"
    assert not problems, f"{language}:\n" + "\n".join(problems)
    assert {"customers.customer", "customers.contact", "customers.followup"} <= set(checked), checked
    print(f"{language}: {len(checked)} models saved untouched, nothing changed: {', '.join(checked)}")
