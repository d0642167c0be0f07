"""Fixtures for the core, basedata and workspace tests."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english(request, settings):
    """Run in English so assertions can quote messages; the personas' own language is zh-hans/en,
    and the catalogue translates them (parity is the translators' check, not these tests')."""
    settings.LANGUAGE_CODE = "en"
    if "org" in request.fixturenames:
        from accounts.models import User

        org = request.getfixturevalue("org")
        User.objects.update(language="en")
        for user in org.values():
            user.language = "en"
    with translation.override("en"):
        yield
