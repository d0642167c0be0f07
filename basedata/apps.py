from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_basedata(sender, **kwargs):
    # Reference data every module expects; idempotent, so safe after each migrate.
    from .services import dictionaries_ensure, parameters_ensure

    dictionaries_ensure()
    parameters_ensure()


class BasedataConfig(AppConfig):
    name = "basedata"
    verbose_name = _("Basic data")

    def ready(self):
        from . import registrations  # noqa: F401

        post_migrate.connect(_ensure_basedata, sender=self)
