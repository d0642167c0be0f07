"""Rebuild customers' search tokens: Latin words starting with "x" are now stored escaped
("x5" → "xx5"), so no Latin query can prefix-match an encoded Chinese character (x + hex).

The PostgreSQL tsvector column is generated from search_text and the SQLite FTS5 index follows
it by trigger, so rewriting search_text is enough on both databases.
"""

from django.db import migrations

BATCH = 2000


def rebuild(apps, schema_editor):
    from core.search_tokens import make_tokens

    Customer = apps.get_model("customers", "Customer")
    Contact = apps.get_model("customers", "Contact")
    last = 0
    while True:
        rows = list(
            Customer.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "code", "phone", "mobile", "email", "name", "short_name", "search_text")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        contacts = {}
        for customer_id, *values in Contact.objects.filter(
            customer_id__in=[r[0] for r in rows], deleted_at__isnull=True
        ).values_list("customer_id", "name", "mobile", "email", "office_phone"):
            contacts.setdefault(customer_id, []).append(values)
        changed = []
        for pk, code, phone, mobile, email, name, short_name, old in rows:
            people = contacts.get(pk, [])
            tokens = make_tokens(
                code,
                phone,
                mobile,
                email,
                *[" ".join(c[1:]) for c in people],
                names=[name, short_name],
                person_names=[c[0] for c in people],
            )
            if tokens != old:
                changed.append(Customer(pk=pk, search_text=tokens))
        Customer.objects.bulk_update(changed, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_owner_department_live_indexes")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True)]
