"""Token index for customer search: PostgreSQL GIN over to_tsvector('simple'), SQLite FTS5.

Tokens are ASCII (see core/search_tokens.py), so neither index depends on the locale.
"""

from django.db import migrations

SQLITE_UP = [
    "CREATE VIRTUAL TABLE customers_customer_fts USING fts5("
    "search_text, content='customers_customer', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER customers_customer_fts_ai AFTER INSERT ON customers_customer BEGIN "
    "INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER customers_customer_fts_ad AFTER DELETE ON customers_customer BEGIN "
    "INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER customers_customer_fts_au AFTER UPDATE OF search_text ON customers_customer BEGIN "
    "INSERT INTO customers_customer_fts(customers_customer_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO customers_customer_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    "INSERT INTO customers_customer_fts(customers_customer_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS customers_customer_fts_ai",
    "DROP TRIGGER IF EXISTS customers_customer_fts_ad",
    "DROP TRIGGER IF EXISTS customers_customer_fts_au",
    "DROP TABLE IF EXISTS customers_customer_fts",
]
PG_UP = [
    "CREATE INDEX IF NOT EXISTS customer_search_gin ON customers_customer "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
]
PG_DOWN = ["DROP INDEX IF EXISTS customer_search_gin"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}), _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN})
        )
    ]
