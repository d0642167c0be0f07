from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_basedata(sender, **kwargs):
    # Reference data every module expects; idempotent, so safe after each migrate.
    from .services import dictionaries_ensure, parameters_ensure

    dictionaries_ensure()
    parameters_ensure()


def _shell_company(request, user):
    from .parameters import get_parameter

    return {"crm_company": get_parameter("company_name")}


class BasedataConfig(AppConfig):
    name = "basedata"
    verbose_name = _("Basic data")

    def ready(self):
        from core import context_processors, parameters
        from core.related import reference_model

        from . import registrations  # noqa: F401
        from .models import DictItem, Region
        from .parameters import get_parameter

        parameters.provide(get_parameter)
        context_processors.add_shell_context(_shell_company)

        # Every customer row names a level, type, industry and province: kept per process.
        reference_model(DictItem)
        reference_model(Region)
        post_migrate.connect(_ensure_basedata, sender=self)
