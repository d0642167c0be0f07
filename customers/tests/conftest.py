"""Fixtures for the customers tests (personas come from core/testing/fixtures.py)."""

import pytest

import customers.demo  # noqa: F401  (registers the customers permissions of the demo roles before `org` runs)

from .factories import make_regions, set_parameter


@pytest.fixture
def regions(db):
    return make_regions()


@pytest.fixture
def param(db):
    """param("key", value): store a system parameter and drop the parameter cache."""
    return set_parameter


@pytest.fixture
def dicts(db):
    """Dictionary items by (type code, item code), e.g. dicts["customer_level", "vip"]."""
    from basedata.models import DictItem

    return {(i.type.code, i.code): i for i in DictItem.objects.select_related("type")}


@pytest.fixture(autouse=True)
def english():
    """Service messages are asserted in English; a request earlier in the same worker may have
    left another language active (the user-language middleware activates without resetting)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "postgresql: needs concurrent connections to one database; collected only on PostgreSQL (make test-pg)",
    )


def pytest_collection_modifyitems(config, items):
    """Concurrency tests run where connections really overlap. SQLite's test database lives in
    memory with a shared cache, where a second writer fails at once ("database table is locked")
    instead of waiting as on a file with busy_timeout: there they prove nothing, so they are
    deselected, not skipped."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in keep])
        items[:] = keep
