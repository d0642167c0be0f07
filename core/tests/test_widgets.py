import re

import pytest
from django import forms

from core.widgets import FastSelect, FastSelectMultiple, speed_up

CHOICES = [
    ("", "---------"),
    ("a", "Alpha & <b>"),
    ("Group", [("g1", "组一"), ("g2", 'Quote "x"')]),
    (3, "Three"),
]


def squash(html):
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize(
    ("stock", "fast", "value"),
    [
        (forms.Select, FastSelect, "g1"),
        (forms.Select, FastSelect, None),
        (forms.Select, FastSelect, 3),
        (forms.SelectMultiple, FastSelectMultiple, ["a", "g2"]),
    ],
)
def test_fast_select_renders_what_django_renders(stock, fast, value):
    attrs = {"class": "form-select", "id": "id_x", "required": True, "disabled": False}
    expected = stock(choices=CHOICES).render("x", value, attrs=attrs)
    got = fast(choices=CHOICES).render("x", value, attrs=attrs)
    assert squash(got) == squash(expected)
    assert "&lt;b&gt;" in got and "<b>" not in got


def test_speed_up_swaps_only_stock_selects():
    assert type(speed_up(forms.Select())) is FastSelect
    assert type(speed_up(forms.SelectMultiple())) is FastSelectMultiple
    radio = forms.RadioSelect()
    assert type(speed_up(radio)) is forms.RadioSelect
