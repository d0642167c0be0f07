from django.core.checks import Warning, register
from django.db import connections


@register("database", deploy=True)
def postgres_ctype(app_configs, databases=None, **kwargs):
    """Trigram search sees no CJK characters when LC_CTYPE is C (architecture §9)."""
    errors = []
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute("SHOW lc_ctype")
            ctype = cursor.fetchone()[0]
        if "utf" not in ctype.lower().replace("-", ""):
            errors.append(
                Warning(
                    f"PostgreSQL LC_CTYPE is {ctype!r}; create the database with a UTF-8 LC_CTYPE (e.g. C.UTF-8).",
                    id="crm.W001",
                )
            )
    return errors
