"""House rule 8: list pages and API lists run the same number of queries whatever the row count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .factories import make_items, make_type

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    client.get(url)  # warm up: session, content types, parameter cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("persona", ["alice", "admin"])
def test_dictionary_items_list_page(web, persona):
    small, big = make_type(code="small"), make_type(code="big", name="大", name_en="Big")
    make_items(small, 5)
    make_items(big, 40)
    client = web(persona)
    n_small, r_small = count_queries(client, f"/basedata/dictionary-items/?type={small.pk}")
    n_big, r_big = count_queries(client, f"/basedata/dictionary-items/?type={big.pk}")
    assert r_small.content.decode().count('name="pk"') in (5, 0)  # bulk checkboxes only for admin
    assert "Item 39" in r_big.content.decode()
    assert n_small == n_big
    assert n_big <= 16


def test_dictionary_items_api_list(api):
    small, big = make_type(code="small"), make_type(code="big", name="大", name_en="Big")
    make_items(small, 5)
    make_items(big, 40)
    client = api("alice")
    n_small, r_small = count_queries(client, f"/api/v1/dictionary-items/?type={small.pk}")
    n_big, r_big = count_queries(client, f"/api/v1/dictionary-items/?type={big.pk}")
    assert len(r_small.json()["results"]) == 5
    assert len(r_big.json()["results"]) == 40
    assert n_small == n_big
    assert n_big <= 4


@pytest.mark.parametrize("base", ["dictionaries", "regions", "parameters"])
def test_other_lists_do_not_grow_with_rows(web, api, base):
    from .factories import make_regions

    make_regions()
    client = web("admin")
    n_page, _ = count_queries(client, f"/basedata/{base}/")
    n_api, _ = count_queries(api("admin"), f"/api/v1/{base}/")
    assert n_page <= 16 and n_api <= 4
