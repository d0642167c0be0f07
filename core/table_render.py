"""Table body rendering without django-tables2's per-cell machinery.

django-tables2 resolves every cell through accessors, signature inspection, attribute
dictionaries and one template variable lookup per cell: about 0.2 ms a cell, so 30–60 ms for a
50-row page (architecture §9 wants list pages ≤ 100 ms at 1 M rows). Here each column is
compiled once per render into a plain function of the record; columns with custom rendering
(a table `render_<name>` method, a TemplateColumn, `linkify`, callable attrs) fall back to
tables2's own `BoundRow.get_cell`, so their output is unchanged. A `render_<name>(record)` or
`render_<name>(value, record)` method is called directly (tables2 would inspect and wrap it
per cell), and links to detail pages are built from one reversed URL per page.

A table may define `prepare_records(records)`: it is called once with the page's records
before the cells render, to load in one query what cells would otherwise fetch row by row.
"""

import html
import inspect

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


class _DetailUrl:
    """`record.get_absolute_url()` for a page of records, reversed once.

    URL reversing costs ~0.1 ms a call. The first record's URL is split at its primary key and
    the split checked against the second record's own URL; a model whose URL is not built from
    the primary key alone keeps calling get_absolute_url().
    """

    def __init__(self):
        self.parts = None
        self.checked = False

    def __call__(self, record):
        if self.checked and self.parts:
            return f"{self.parts[0]}{record.pk}{self.parts[1]}"
        url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
        marker = f"/{record.pk}/"
        if self.parts is None:
            self.parts = (url.split(marker)[0] + "/", "/" + url.split(marker)[1]) if url.count(marker) == 1 else ()
        elif not self.checked:
            self.checked = True
            if self.parts and f"{self.parts[0]}{record.pk}{self.parts[1]}" != url:
                self.parts = ()
        return url


def _plain(bound_column, model, link):
    column = bound_column.column
    get = _value_getter(model, str(bound_column.accessor))
    empty = column.empty_values
    default = _format(bound_column.default)
    detail_url = _DetailUrl()

    def cell(row):
        value = get(row.record)
        if value in empty:
            return default
        text = _format(value)
        if link:
            url = detail_url(row.record)
            if url:
                return f'<a href="{html.escape(url)}">{text}</a>'
        return text

    return cell


def _method(bound_column, model, method, takes_value):
    """A table's `render_<name>` method, called as tables2 would (only for non-empty values)."""
    get = _value_getter(model, str(bound_column.accessor))
    empty = bound_column.column.empty_values
    default = _format(bound_column.default)

    def cell(row):
        record = row.record
        if not takes_value:
            if empty:
                value = get(record)
                if value in empty:
                    return default
            result = method(record=record)
        else:
            value = get(record)
            if value in empty:
                return default
            result = method(value=value, record=record)
        return result if isinstance(result, SafeData) else _format(result)

    return cell


def _direct_params(method):
    """Which of value/record a render method takes, or None if it wants more than those."""
    params = set(inspect.signature(method).parameters)
    return params if params and params <= {"value", "record"} and "record" in params else None


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
    method = getattr(table, f"render_{bound_column.name}", None)
    plain_attrs = not bound_column.link and not any(callable(v) for v in td_attrs.values())
    simple = method is None and plain_attrs
    if method is not None and plain_attrs and type(column) is tables.Column:
        params = _direct_params(method)
        if params is not None:
            model = getattr(table._meta, "model", None)
            return _method(bound_column, model, method, takes_value="value" in params)
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
    prepare = getattr(table, "prepare_records", None)
    if prepare is not None:
        rows = list(rows)
        prepare([row.record for row in rows])
    for index, row in enumerate(rows):
        out.append(f'<tr class="{"odd" if index % 2 else "even"}">')
        for (cell, _), td in zip(cells, tds, strict=True):
            out.append(f"{td}{cell(row)}</td>")
        out.append("</tr>")
    if not out and table.empty_text:
        out.append(f'<tr><td colspan="{len(columns)}">{escape(table.empty_text)}</td></tr>')
    return mark_safe("".join(out))
