from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import apply_validation_error

from . import selectors, services
from .forms import TodoForm
from .models import Notification, Todo


@login_required
def home(request):
    """Workbench (工作台): to-dos, unread notifications, shortcuts."""
    context = {
        "todos": selectors.open_todos(request.user)[:8],
        "notifications": selectors.inbox(request.user, unread_only=True)[:8],
        "todo_form": TodoForm(),
        "open_todo_count": selectors.open_todos(request.user).count(),
        "overdue_count": selectors.todos_due_today(request.user).count(),
    }
    from .widgets import widgets_for

    context["widgets"] = widgets_for(request.user)
    return render(request, "workspace/home.html", context)


@login_required
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(selectors.inbox(request.user, unread_only), 30).get_page(request.GET.get("page"))
    return render(request, "workspace/notification_list.html", {"page": page, "unread_only": unread_only})


@login_required
def notification_bell(request):
    return render(
        request,
        "workspace/_bell.html",
        {"notifications": selectors.inbox(request.user, unread_only=True)[:6]},
    )


@login_required
def notification_open(request, pk):
    notification = get_object_or_404(Notification.objects.visible_to(request.user), pk=pk)
    services.notification_mark_read(user=request.user, notifications=[notification])
    target = notification.link
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return HttpResponseRedirect(target)
    return redirect("workspace:notification_list")


@login_required
@require_POST
def notification_mark_all_read(request):
    n = services.notification_mark_read(user=request.user)
    messages.success(request, _("Marked %(n)s notifications as read.") % {"n": n})
    return redirect("workspace:notification_list")


@login_required
def todo_list(request):
    form = TodoForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.todo_create(actor=request.user, owner=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_validation_error(form, e)
        else:
            messages.success(request, _("To-do added."))
            return redirect("workspace:todo_list")
    show = request.GET.get("show", "open")
    qs = Todo.objects.visible_to(request.user)
    qs = (
        qs.filter(done_at__isnull=False).order_by("-done_at")
        if show == "done"
        else qs.filter(done_at__isnull=True).order_by("due_at")
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "workspace/todo_list.html",
        {"form": form, "page": page, "show": show},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def todo_toggle(request, pk):
    todo = get_object_or_404(Todo.objects.visible_to(request.user), pk=pk)
    services.todo_complete(actor=request.user, todo=todo, done=todo.done_at is None)
    if request.htmx:
        return render(request, "workspace/_todo_row.html", {"todo": todo})
    return redirect("workspace:todo_list")
