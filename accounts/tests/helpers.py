"""Small helpers for the accounts tests."""

PASSWORD = "demo-pass-2026"
STRONG = "Lantern-Harbour-2731"


def reload(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


def dept_form(department, **changes):
    """POST data of the department edit form: the stored values plus `changes` (None drops a key)."""
    data = {
        "name": department.name,
        "name_en": department.name_en,
        "code": department.code,
        "parent": department.parent_id or "",
        "manager": department.manager_id or "",
        "order": department.order,
        "_version": department.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def audit(action=None, obj=None, **filters):
    from accounts.models import AuditEntry

    qs = AuditEntry.objects.all()
    if action:
        qs = qs.filter(action=action)
    if obj is not None:
        qs = qs.for_object(obj)
    return qs.filter(**filters)
