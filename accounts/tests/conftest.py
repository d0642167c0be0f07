"""Fixtures shared by the accounts tests (personas come from core/testing/fixtures.py)."""

import pytest


@pytest.fixture
def dept(org):
    """The demo departments by code."""
    from accounts.models import Department

    return {d.code: d for d in Department.objects.all()}


@pytest.fixture(autouse=True)
def _default_language():
    """Middleware activates the user's language for the thread; start and end each test neutral."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()
