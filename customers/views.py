"""Customer workflow screens: pool, claim/release/assign, batch transfer/tag/release, merge,
review, duplicate check, care and overview. Plain CRUD is declared in registrations.py."""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from core.bounds import parse_id
from core.paginator import CappedPaginator
from core.registry import get_config

from . import permissions, selectors, services
from .filtersets import CustomerFilterSet
from .forms import AssignForm, MergeForm, ReasonForm, ReviewForm, TagForm, TransferForm
from .models import Customer
from .tables import PoolTable


def _next(request, default):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def _selected(request, action):
    ids = [pk for pk in map(parse_id, request.POST.getlist("pk")) if pk]
    return list(Customer.objects.visible_to(request.user, action).filter(pk__in=ids).select_related("owner"))


def _error(request, e):
    messages.error(request, " ".join(e.messages))


POOL_FILTERS = ("q", "level", "industry", "province", "source")


@login_required
def pool(request):
    filterset = CustomerFilterSet(request.GET or None, queryset=selectors.pool_queryset(request.user), request=request)
    qs = filterset.qs if filterset.is_bound else filterset.queryset
    table = PoolTable(qs.order_by("-pool_entered_at", "-id"))
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": CappedPaginator}).configure(table)
    assign_form = AssignForm()
    if request.user.has_perm("customers.assign_customer"):
        # Read the users once (the select renders from these choices, not from the queryset).
        owner = assign_form.fields["owner"]
        owner.widget.choices = [("", owner.empty_label), *[(u.pk, str(u)) for u in owner.queryset]]
    for name in ("province", "city"):
        # The pool's filter bar has no city/district selects for the region cascade to fill.
        widget = filterset.form.fields[name].widget
        widget.attrs = {k: v for k, v in widget.attrs.items() if not k.startswith("hx-")}
    context = {
        "table": table,
        "filterset": filterset,
        "pool_filters": POOL_FILTERS,
        "assign_form": assign_form,
        "config": get_config(Customer),
    }
    template = (
        "customers/pool.html#results" if request.htmx and request.htmx.target == "results" else "customers/pool.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def claim(request, pk):
    customer = get_object_or_404(selectors.pool_queryset(request.user), pk=pk)
    try:
        services.customer_claim(actor=request.user, customer=customer)
    except ValidationError as e:
        _error(request, e)
        return redirect("customers:pool")
    messages.success(request, _("You now own %(name)s.") % {"name": customer.name})
    return redirect(customer.get_absolute_url())


@login_required
@require_POST
def pool_batch(request):
    """Claim or assign the customers checked on the pool page, all or none."""
    action = request.POST.get("action")
    if action not in ("claim", "assign"):
        raise PermissionDenied
    permissions.require(request.user, action)
    back = _next(request, reverse("customers:pool"))
    ids = [pk for pk in map(parse_id, request.POST.getlist("pk")) if pk]
    customers = list(selectors.pool_queryset(request.user).filter(pk__in=ids).order_by("pk"))
    if not customers:
        messages.error(request, _("Select the customers first."))
        return redirect(back)
    try:
        if action == "claim":
            services.customers_claim(actor=request.user, customers=customers)
            messages.success(
                request,
                ngettext("Claimed %(n)s customer.", "Claimed %(n)s customers.", len(customers)) % {"n": len(customers)},
            )
        else:
            form = AssignForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Choose whom to assign the customer to."))
                return redirect(back)
            owner = form.cleaned_data["owner"]
            services.customers_assign(actor=request.user, customers=customers, owner=owner)
            messages.success(
                request,
                ngettext(
                    "Assigned %(n)s customer to %(user)s.", "Assigned %(n)s customers to %(user)s.", len(customers)
                )
                % {"n": len(customers), "user": owner},
            )
    except ValidationError as e:
        _error(request, e)
    return redirect(back)


@login_required
@require_POST
def assign(request, pk):
    permissions.require(request.user, "assign")  # before the form is read
    customer = get_object_or_404(selectors.pool_queryset(request.user), pk=pk)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.customer_assign(actor=request.user, customer=customer, owner=form.cleaned_data["owner"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(
                request,
                _("Assigned %(name)s to %(user)s.") % {"name": customer.name, "user": form.cleaned_data["owner"]},
            )
    else:
        messages.error(request, _("Choose whom to assign the customer to."))
    return redirect("customers:pool")


@login_required
def release(request, pk):
    customer = get_object_or_404(Customer.objects.visible_to(request.user, "release"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_release(actor=request.user, customer=customer, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("%(name)s is now in the public pool.") % {"name": customer.name})
            return redirect("customers:customer_list")
    return render(
        request,
        "customers/action_form.html",
        {"form": form, "object": customer, "title": _("Release to the public pool")},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def bulk_action(request, action):
    perm = {"transfer": "transfer", "tag": "change", "release": "release"}.get(action)
    if perm is None or not request.user.has_perm(f"customers.{perm}_customer"):
        raise PermissionDenied
    customers = _selected(request, perm)
    form_class = {"transfer": TransferForm, "tag": TagForm, "release": ReasonForm}[action]
    form = form_class(request.POST if "_apply" in request.POST else None)
    if form.is_bound and form.is_valid() and customers:
        try:
            with transaction.atomic():
                if action == "transfer":
                    services.customers_transfer(
                        actor=request.user,
                        customers=customers,
                        new_owner=form.cleaned_data["owner"],
                        reason=form.cleaned_data["reason"],
                    )
                elif action == "tag":
                    services.customers_tag(
                        actor=request.user,
                        customers=customers,
                        tags=form.cleaned_data["tags"],
                        remove=form.cleaned_data["remove"],
                    )
                else:
                    for c in customers:
                        services.customer_release(actor=request.user, customer=c, reason=form.cleaned_data["reason"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("Done for %(n)s customers.") % {"n": len(customers)})
            return HttpResponseRedirect(_next(request, "/customers/customers/"))
    titles = {"transfer": _("Transfer owner"), "tag": _("Tag customers"), "release": _("Release to the public pool")}
    return render(
        request,
        "customers/bulk_action.html",
        {"form": form, "objects": customers, "title": titles[action], "action": action},
        status=400 if form.is_bound else 200,
    )


@login_required
def merge(request, pk):
    permissions.require(request.user, "merge")  # before the form is shown
    keep = get_object_or_404(Customer.objects.visible_to(request.user, "change"), pk=pk)
    form = MergeForm(request.POST or None, user=request.user, exclude=keep.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_merge(actor=request.user, keep=keep, remove=form.cleaned_data["other"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("Merged into %(name)s.") % {"name": keep.name})
            return redirect(keep.get_absolute_url())
    return render(
        request,
        "customers/action_form.html",
        {"form": form, "object": keep, "title": _("Merge customers")},
        status=400 if form.errors else 200,
    )


@login_required
def review(request, pk):
    permissions.require(request.user, "review")  # before the form is shown
    customer = get_object_or_404(Customer.objects.visible_to(request.user), pk=pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_review(
                actor=request.user,
                customer=customer,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as e:
            if hasattr(e, "error_dict"):
                for field, errs in e.message_dict.items():
                    form.add_error(field if field in form.fields else None, errs)
            else:
                _error(request, e)
        else:
            messages.success(request, _("Review saved."))
            return redirect(customer.get_absolute_url())
    return render(
        request,
        "customers/action_form.html",
        {"form": form, "object": customer, "title": _("Review customer")},
        status=400 if form.errors else 200,
    )


@login_required
def duplicate_check(request):
    """As-you-type warning on the customer form (CUS-3, CUS-15)."""
    if not (request.user.has_perm("customers.view_customer") or request.user.has_perm("customers.add_customer")):
        raise PermissionDenied
    exclude = request.GET.get("exclude")
    matches = services.find_duplicates(
        name=request.GET.get("name", "")[:50],
        phone=request.GET.get("phone", "")[:30],
        mobile=request.GET.get("mobile", "")[:11],
        email=request.GET.get("email", "")[:80],
        exclude_pk=parse_id(exclude),
    )
    visible, hidden = selectors.duplicate_summary(request.user, matches)
    return render(request, "customers/_duplicates.html", {"visible": visible, "hidden": hidden})


CARE_PAGE_LIMIT = 500


@login_required
def care(request):
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    from basedata.parameters import get_parameter

    days = parse_id(request.GET.get("days"))
    days = days if days and days <= 92 else get_parameter("care_lookahead_days") or 7
    items = selectors.upcoming_care(request.user, days=days, limit=CARE_PAGE_LIMIT)
    return render(request, "customers/care.html", {"items": items, "days": days})


DIMENSIONS = ["level", "type", "industry", "province", "source", "owner"]
BAR_CHART_MIN_HEIGHT = 280  # px, the height of .crm-chart
BAR_ROW_HEIGHT = 22  # px per bar, so that every category label has room


@login_required
def overview(request):
    if not request.user.has_perm("customers.view_customer"):
        raise PermissionDenied
    from django.utils.translation import gettext_lazy

    labels = {
        "level": gettext_lazy("By level"),
        "type": gettext_lazy("By type"),
        "industry": gettext_lazy("By industry"),
        "province": gettext_lazy("By province"),
        "source": gettext_lazy("By source"),
        "owner": gettext_lazy("By owner"),
    }
    charts = [{"key": d, "label": labels[d], "rows": selectors.overview(request.user, d)} for d in DIMENSIONS]
    monthly = selectors.new_per_month(request.user)
    return render(request, "customers/overview.html", {"charts": charts, "monthly": monthly})


@login_required
def overview_data(request, dimension):
    if not request.user.has_perm("customers.view_customer") or dimension not in DIMENSIONS + ["monthly"]:
        raise PermissionDenied
    rows = (
        selectors.new_per_month(request.user) if dimension == "monthly" else selectors.overview(request.user, dimension)
    )
    if request.GET.get("format") == "xlsx":
        import xlsxwriter

        from core.exporting import escape_cell

        buffer = io.BytesIO()
        book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
        sheet = book.add_worksheet(dimension)
        sheet.write_row(0, 0, [_("Group"), _("Customers")])
        for i, (label, n) in enumerate(rows, start=1):
            sheet.write_string(i, 0, str(escape_cell(str(label))))
            sheet.write_number(i, 1, n)
        book.close()
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="customers-{dimension}.xlsx"'
        return response
    labels, values = [str(r[0]) for r in rows], [r[1] for r in rows]
    if dimension == "monthly":
        option = {
            "tooltip": {"trigger": "axis"},
            "grid": {"left": 8, "right": 16, "top": 16, "bottom": 8, "containLabel": True},
            "xAxis": {"type": "category", "data": labels, "axisLabel": {"interval": 0}},
            "yAxis": {"type": "value", "minInterval": 1},
            "series": [{"type": "line", "data": values, "smooth": True}],
        }
    elif dimension in ("level", "type", "source"):
        option = {
            "tooltip": {"trigger": "item"},
            "series": [
                {
                    "type": "pie",
                    "radius": ["35%", "70%"],
                    "data": [{"name": n, "value": v} for n, v in zip(labels, values, strict=True)],
                }
            ],
        }
    else:
        # Horizontal bars: every category label shown in full (long ones end in "…", the
        # tooltip has the whole name), the grid grows to fit them and the chart to fit the bars.
        option = {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "grid": {"left": 8, "right": 24, "top": 8, "bottom": 8, "containLabel": True},
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {
                "type": "category",
                "data": labels[::-1],
                "axisLabel": {"interval": 0, "width": 150, "overflow": "truncate"},
            },
            "series": [{"type": "bar", "data": values[::-1], "barMaxWidth": 24}],
            "crmHeight": max(BAR_CHART_MIN_HEIGHT, BAR_ROW_HEIGHT * len(labels) + 40),
        }
    return JsonResponse(option)
