"""Every registered model × persona × action (core.testing.personas): outside the data scope 404,
no function permission 403, otherwise success — and a refused request changes nothing.

One test per model: seeding the demo data costs more than walking all its cells."""

import pytest

from core.registry import configs, get_config
from core.testing.personas import seed, walk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("config", configs(), ids=lambda c: c.label)
def test_persona_cells(config, org, record_property):
    seed()
    cells = walk(config, org)
    record_property("persona_cells", len(cells))
    failed = [str(c) for c in cells if c.problem]
    assert not failed, f"{len(failed)} of {len(cells)} cells failed:\n" + "\n".join(failed)


def test_the_suite_sees_a_leak(org, monkeypatch):
    """The suite itself fails when a view skips the permission check or a model skips its scope."""
    from core.views.generic import ConfigView
    from customers.models import Customer

    seed()
    config = get_config("customers.customer")
    monkeypatch.setattr(ConfigView, "check_permission", lambda self, action=None: None)
    monkeypatch.setattr(Customer, "scope_queryset", classmethod(lambda cls, queryset, user, action: queryset))
    problems = {(c.persona, c.action): c.problem for c in walk(config, org) if c.problem}
    assert problems[("bob", "scope: alice's record hidden")] == "LEAK"
    assert ("agent", "web export") in problems  # agent has no export permission: 403 expected
    assert ("exec", "web edit GET") in problems  # exec may not change customers: 403 expected
