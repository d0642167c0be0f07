from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Organisation and security")

    def ready(self):
        from . import auth_cache, registrations, signals  # noqa: F401

        auth_cache.connect()

        from core.related import reference_model

        from .models import Department, Position, User

        # Owners and departments shown on every list row: kept per process (core/related.py).
        for model in (Department, Position, User):
            reference_model(model)
