from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.apps import apps

        from . import checks  # noqa: F401
        from .bounds import bound_datetime_fields

        bound_datetime_fields(apps.get_models())
