"""Table body rendering without django-tables2's per-cell machinery.

django-tables2 resolves every cell through accessors, signature inspection, attribute
dictionaries and one template variable lookup per cell: about 0.2 ms a cell, so 30–60 ms for a
50-row page (architecture §9 wants list pages ≤ 100 ms at 1 M rows). Here each column is
compiled once per render into a plain function of the record; columns with custom rendering
(a table `render_<name>` method, a TemplateColumn, `linkify`, callable attrs) fall back to
tables2's own `BoundRow.get_cell`, so their output is unchanged.
"""

import html

import django_tables2 as tables
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeData, mark_safe
from django_tables2.utils import AttributeDict

from .tables import FastDateTimeColumn, LinkColumn


def _field_for(model, parts):
    """The model field an accessor path ends at, or None."""
    field = None
    for part in parts:
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def _format(value):
    # html.escape, not django's escape(): the same output without the lazy-string wrapper, which
    # costs more than the escaping itself at a thousand cells a page.
    if hasattr(value, "__html__"):
        return value.__html__()
    if hasattr(value, "strftime"):
        return html.escape(FastDateTimeColumn.render(None, value))
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float) or hasattr(value, "as_tuple"):  # numbers and Decimals
        return html.escape(localize(value))
    return html.escape(str(value))


def _value_getter(model, accessor):
    parts = accessor.split("__") if "__" in accessor else accessor.split(".")
    field = _field_for(model, parts)
    display = f"get_{parts[-1]}_display" if field is not None and getattr(field, "choices", None) else None
    head, last = parts[:-1], parts[-1]

    def get(record):
        obj = record
        for part in head:
            obj = getattr(obj, part, None)
            if obj is None:
                return None
        if display:
            return getattr(obj, display)()
        value = getattr(obj, last, None)
        return value() if callable(value) and not isinstance(value, models.Model) else value

    return get


def _plain(bound_column, model, link):
    column = bound_column.column
    get = _value_getter(model, str(bound_column.accessor))
    empty = column.empty_values
    default = _format(bound_column.default)

    def cell(row):
        value = get(row.record)
        if value in empty:
            return default
        text = _format(value)
        if link:
            url = row.record.get_absolute_url() if hasattr(row.record, "get_absolute_url") else ""
            if url:
                return f'<a href="{html.escape(url)}">{text}</a>'
        return text

    return cell


def _checkbox(bound_column):
    column = bound_column.column
    attrs = dict(column.attrs.get("td__input") or column.attrs.get("input") or {})
    name = escape(attrs.pop("name", bound_column.name))
    extra = AttributeDict({k: v for k, v in attrs.items() if k not in ("type", "value")}).as_html()

    def cell(row):
        return f'<input type="checkbox" name="{name}" value="{html.escape(str(row.record.pk))}" {extra} />'

    return cell


def _slow(bound_column):
    name = bound_column.name

    def cell(row):
        value = row.get_cell(name)
        return value if isinstance(value, SafeData) else _format(value)

    return cell


def _compile(table, bound_column):
    column = bound_column.column
    td_attrs = column.attrs.get("td", {})
    simple = (
        not getattr(table, f"render_{bound_column.name}", None)
        and not bound_column.link
        and not any(callable(v) for v in td_attrs.values())
    )
    if simple and type(column) is tables.CheckBoxColumn and column.checked is None:
        return _checkbox(bound_column)
    if simple and type(column) in (tables.Column, FastDateTimeColumn, LinkColumn):
        return _plain(bound_column, getattr(table._meta, "model", None), link=type(column) is LinkColumn)
    return _slow(bound_column)


def render_rows(table):
    """The `<tr>` elements of the table's current page as one safe string."""
    columns = list(table.columns)
    cells = [(_compile(table, c), c.attrs.get("td", AttributeDict()).as_html()) for c in columns]
    tds = [f"<td {attrs}>" if attrs else "<td>" for _, attrs in cells]
    out = []
    rows = table.page.object_list if getattr(table, "page", None) else table.rows
    for index, row in enumerate(rows):
        out.append(f'<tr class="{"odd" if index % 2 else "even"}">')
        for (cell, _), td in zip(cells, tds, strict=True):
            out.append(f"{td}{cell(row)}</td>")
        out.append("</tr>")
    if not out and table.empty_text:
        out.append(f'<tr><td colspan="{len(columns)}">{escape(table.empty_text)}</td></tr>')
    return mark_safe("".join(out))
