from django.contrib.auth import get_user_model
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import context
from .models import Heartbeat, ImportJob


@db_task()
def import_job_run(job_id, user_id, commit):
    from .importing import run_import
    from .registry import get_config

    job = ImportJob.objects.get(pk=job_id)
    user = get_user_model().objects.get(pk=user_id)
    runner = get_config(job.model_label).import_runner or run_import
    with context.request_context(source="import"):
        runner(job, user=user, commit=commit)


@db_periodic_task(crontab(minute="*"))
def heartbeat():
    Heartbeat.objects.update_or_create(name="queue", defaults={"beat_at": timezone.now()})
