"""Demo data plumbing: each app's `demo.py` registers a seeder and the permissions its
module grants to the standard roles; `manage.py seed_demo` runs them in order."""

from collections import defaultdict

_seeders = []
ROLE_GRANTS: dict[str, set[str]] = defaultdict(set)


def register_seeder(order, func):
    _seeders.append((order, func))


def grant(role_code, *perms):
    """perms: "app.codename", or "app.model:*" for all of a model's permissions,
    or "app.model:view" / "app.model:view,export" for some actions."""
    ROLE_GRANTS[role_code].update(perms)


def seeders():
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")
    return [f for _, f in sorted(_seeders, key=lambda s: s[0])]


def resolve_permissions(specs):
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    query = Q(pk__in=[])
    for spec in specs:
        if ":" in spec:
            label, actions = spec.split(":", 1)
            app, model = label.split(".")
            cond = Q(content_type__app_label=app, content_type__model=model)
            if actions != "*":
                cond &= Q(codename__in=[f"{a}_{model}" for a in actions.split(",")])
            query |= cond
        else:
            app, codename = spec.split(".")
            query |= Q(content_type__app_label=app, codename=codename)
    return Permission.objects.filter(query)
