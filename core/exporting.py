"""CSV / XLSX export of a filtered queryset, with formula-injection escaping."""

import csv
import io

from django.db import models
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.formats import localize

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value):
    """Prefix a quote so spreadsheet programs never evaluate user text as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def field_label(model, name):
    parts = name.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model
    return str(model._meta.get_field(parts[-1]).verbose_name)


def cell_value(obj, name):
    value = obj
    for part in name.split("__"):
        if value is None:
            return ""
        field = value._meta.get_field(part)
        if getattr(field, "choices", None):
            value = getattr(value, f"get_{part}_display")()
        elif field.many_to_many:
            value = ", ".join(str(v) for v in getattr(value, part).all())
        else:
            value = getattr(value, part)
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
        )
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return str(value)


def iter_rows(queryset, fields, chunk_size=2000):
    # iterator() keeps memory flat; with a chunk size it also honours prefetch_related.
    for obj in queryset.iterator(chunk_size=chunk_size):
        yield [escape_cell(cell_value(obj, f)) for f in fields]


class _Echo:
    def write(self, value):
        return value


def _related_paths(model, fields):
    """select_related / prefetch_related paths for the exported columns (no query per row)."""
    joins, prefetch = set(), set()
    for name in fields:
        current, path = model, []
        for part in name.split("__"):
            field = current._meta.get_field(part)
            if field.many_to_many:
                prefetch.add("__".join([*path, part]))
                break
            if not field.is_relation:
                break
            path.append(part)
            joins.add("__".join(path))
            current = field.related_model
    return sorted(joins), sorted(prefetch)


def export_response(queryset, fields, fmt, filename):
    joins, prefetch = _related_paths(queryset.model, fields)
    queryset = queryset.select_related(*joins)
    if prefetch:
        queryset = queryset.prefetch_related(*prefetch)
    headers = [field_label(queryset.model, f) for f in fields]
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def stream():
            yield "\ufeff"  # BOM: Excel then reads UTF-8 Chinese correctly
            yield writer.writerow(headers)
            for row in iter_rows(queryset, fields):
                yield writer.writerow([localize(v) if isinstance(v, float) else v for v in row])

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
        return response
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "in_memory": True,
        },
    )
    sheet = book.add_worksheet("data")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, headers, bold)
    for i, row in enumerate(iter_rows(queryset, fields), start=1):
        for j, value in enumerate(row):
            if isinstance(value, int | float):
                sheet.write_number(i, j, value)
            else:
                sheet.write_string(i, j, str(value))
    book.close()
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.xlsx"'
    return response
