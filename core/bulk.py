"""Bulk inserts for seeding and imports: PostgreSQL COPY where available, bulk_create otherwise.

COPY moves ~100 k rows/s here against ~30 k rows/s for bulk_create (architecture §9). Primary
keys are taken from the table's sequence first, so callers can link child rows right away.
"""

import json

from django.db import connections


def _copy_fields(model):
    return [f for f in model._meta.concrete_fields]


def fast_insert(model, objs, *, using="default", batch_size=2000):
    """Insert `objs` (unsaved model instances); sets their pk. Returns them."""
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[using]
    if connection.vendor != "postgresql":
        return model._base_manager.using(using).bulk_create(objs, batch_size=batch_size)
    table = model._meta.db_table
    pk = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
            obj._state.adding = False
        fields = _copy_fields(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        attnames = [f.attname for f in fields]
        json_fields = {f.attname for f in fields if f.get_internal_type() == "JSONField"}
        file_fields = {f.attname for f in fields if f.get_internal_type() == "FileField"}
        auto_fields = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
        raw = cursor.cursor  # psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                row = []
                for f in auto_fields:
                    f.pre_save(obj, True)  # auto_now / auto_now_add, as save() would
                for name in attnames:
                    value = getattr(obj, name)
                    if name in json_fields and value is not None:
                        value = json.dumps(value)
                    elif name in file_fields:
                        value = value.name or ""
                    row.append(value)
                copy.write_row(row)
    return objs
