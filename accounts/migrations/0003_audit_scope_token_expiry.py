"""The audit permission that lifts the data scope on the audit log, and API token expiry.

Existing tokens expire `api_token_days` (the system parameter if set, else 90) after they were
created; a token older than that stops working when this migration runs.
"""

from datetime import timedelta

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F

DEFAULT_DAYS = 90


def backfill_expiry(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    SystemParameter = apps.get_model("basedata", "SystemParameter")
    value = SystemParameter.objects.filter(key="api_token_days").values_list("value", flat=True).first()
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = DEFAULT_DAYS
    if not 1 <= days <= 3650:
        days = DEFAULT_DAYS
    ApiToken.objects.filter(expires_at__isnull=True).update(expires_at=F("created_at") + timedelta(days=days))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_leaner_audit_indexes"),
        ("basedata", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditentry",
            options={
                "default_permissions": ("view", "export"),
                "ordering": ["-created_at", "-id"],
                "permissions": [("view_all_audit", "Can view the whole audit log, whatever the data scope")],
                "verbose_name": "audit entry",
                "verbose_name_plural": "audit log",
            },
        ),
        migrations.AlterField(
            model_name="apitoken",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires at"),
        ),
        migrations.RunPython(backfill_expiry, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires at"),
        ),
    ]
