from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import services


@db_task(retries=3, retry_delay=60)
def send_external(email_to, sms_to, title, body, url):
    services.deliver_external(email_to, sms_to, title, body, url)


@db_periodic_task(crontab(minute="*"))
def due_reminders():
    services.raise_due_reminders()
