"""Every registered model × persona × action (core.testing.personas): outside the data scope 404,
no function permission 403, otherwise success — and a refused request changes nothing.

One test per model: seeding the demo data costs more than walking all its cells."""

import collections

import pytest

from core.registry import configs
from core.testing.personas import seed, walk

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("config", configs(), ids=lambda c: c.label)
def test_persona_cells(config, org, record_property):
    seed()
    cells = walk(config, org)
    record_property("persona_cells", len(cells))
    print(config.label, collections.Counter(str(c.expected) for c in cells))
    failed = [str(c) for c in cells if c.problem]
    assert not failed, f"{len(failed)} of {len(cells)} cells failed:\n" + "\n".join(failed)
