from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from core import context

from . import services


@db_periodic_task(crontab(hour="1", minute="30"))
def nightly_pool_recycle():
    with context.request_context(source="job"):
        services.pool_recycle()


@db_periodic_task(crontab(hour="8", minute="0"))
def daily_care_reminders():
    with context.request_context(source="job"):
        services.care_reminders()
