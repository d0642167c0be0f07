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


def _own_scope_probe():
    """An unsaved user with the narrowest scope and no permissions: what an owned model's
    scope_queryset() must narrow for."""
    from django.contrib.auth import get_user_model

    from .scopes import DataScope

    user = get_user_model()(pk=-1, username="scope-probe", is_superuser=False)
    user._crm_scope = DataScope.OWN
    user.has_perm = lambda perm, obj=None: False
    return user


def _filters_on_owner(model, user):
    """Does the model's scope for `user` narrow on its owner column? Read from the SQL the
    scope compiles to, so an override that forgets the owner is caught whatever it does."""
    owner = model._meta.get_field("owner")
    queryset = model.scope_queryset(model._base_manager.all(), user, "view")
    sql, _params = queryset.query.get_compiler(using=queryset.db).as_sql()
    where = sql.partition(" WHERE ")[2]
    return owner.column in where


def scope_problems(models_to_check):
    """(model, message, id) for every model whose data scope is missing or skips its owner."""
    from django.db import models as dj_models

    from .models import BusinessModel, ScopedModel
    from .registry import configs

    registered = {config.model for config in configs()}
    user = _own_scope_probe()
    problems = []
    for model in models_to_check:
        if model._meta.abstract or model._meta.proxy or not model._meta.managed:
            continue
        scoped = issubclass(model, ScopedModel)
        has_owner = any(f.name == "owner" and isinstance(f, dj_models.ForeignKey) for f in model._meta.concrete_fields)
        label = model._meta.label
        if model in registered and not scoped:
            problems.append((model, f"{label} is registered for generic CRUD but is not a ScopedModel.", "crm.E010"))
            continue
        if not scoped:
            continue
        if has_owner and not _filters_on_owner(model, user):
            problems.append(
                (
                    model,
                    f"{label} has an owner but its scope_queryset() does not narrow on it: "
                    "inherit core.models.OwnedModel (any base-class order) or filter on the owner.",
                    "crm.E011",
                )
            )
        default_scope = model.scope_queryset.__func__ is ScopedModel.scope_queryset.__func__
        if (issubclass(model, BusinessModel) or model in registered) and model.DATA_SCOPE is None and default_scope:
            problems.append(
                (
                    model,
                    f"{label} declares no data-scope decision: inherit OwnedModel, write a scope_queryset(), "
                    'or set DATA_SCOPE = "global" when the function permission alone decides.',
                    "crm.E012",
                )
            )
    return problems


@register()
def data_scopes(app_configs, **kwargs):
    """Every owned model is owner-scoped and every business model has decided its scope."""
    from django.apps import apps
    from django.core.checks import Error

    models_to_check = [m for config in app_configs for m in config.get_models()] if app_configs else apps.get_models()
    return [Error(message, obj=model, id=code) for model, message, code in scope_problems(models_to_check)]
