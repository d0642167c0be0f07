from django.conf import settings


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"crm_company": _company_name()}
    from .navigation import menu_for

    return {
        "crm_menu": menu_for(user),
        "crm_company": _company_name(),
        "crm_unread": _unread(user),
        "crm_debug": settings.DEBUG,
    }


def _company_name():
    from basedata.parameters import get_parameter

    return get_parameter("company_name")


def _unread(user):
    from workspace.selectors import unread_count

    return unread_count(user)
