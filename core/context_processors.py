from django.conf import settings

# Apps add what the shell (top bar, menu) shows, in their AppConfig.ready: basedata the company
# name, workspace the unread badge. core itself knows none of them.
_shell_parts = []


def add_shell_context(provider):
    """provider(request, user or None) -> dict merged into every page's context."""
    if provider not in _shell_parts:
        _shell_parts.append(provider)


def shell(request):
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    context = {}
    if signed_in:
        from .navigation import menu_for

        context.update(crm_menu=menu_for(user), crm_debug=settings.DEBUG)
    for provider in _shell_parts:
        context.update(provider(request, user if signed_in else None))
    return context
