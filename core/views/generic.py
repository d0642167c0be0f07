"""Generic, permission-aware views driven by a `ModelConfig` (see core/registry.py)."""

import copy
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views import View
from django_tables2 import RequestConfig

from ..audit import audit_log, audit_model
from ..bounds import parse_id
from ..exporting import export_response
from ..files import file_link, is_attachment_field
from ..forms import ImportUploadForm, SavedViewForm, apply_validation_error
from ..models import ImportJob, SavedView
from ..paginator import CappedPaginator
from ..related import attach_related


class ConfigView(LoginRequiredMixin, View):
    config = None
    permission_action = "view"

    def check_permission(self, action=None):
        if not self.request.user.has_perm(self.config.perm(action or self.permission_action)):
            raise PermissionDenied

    def get_object(self, action, deleted=False):
        # No function permission at all: 403 (nothing about the record is revealed by that);
        # a record outside the user's data scope: 404 (house rule 2).
        self.check_permission(action)
        return get_object_or_404(self.config.queryset(self.request.user, action, deleted=deleted), pk=self.kwargs["pk"])

    def base_context(self, **extra):
        c = self.config
        user = self.request.user
        return {
            "config": c,
            "model_name": c.verbose_name,
            "model_name_plural": capfirst(c.verbose_name_plural),
            "can": {
                "add": c.can_add and user.has_perm(c.perm("add")),
                "change": c.can_edit and user.has_perm(c.perm("change")),
                "delete": c.can_delete and user.has_perm(c.perm("delete")),
                "export": user.has_perm(c.perm("export")),
                "import": c.import_fields is not None
                and user.has_perm(c.perm("import"))
                and user.has_perm(c.perm("add")),
                "recycle": c.soft_delete and user.has_perm(c.perm("change")),
                "purge": user.has_perm(c.perm("purge")),
                "bulk_edit": bool(c.bulk_edit_fields) and user.has_perm(c.perm("change")),
            },
            **extra,
        }

    def safe_next(self, default):
        target = self.request.POST.get("next") or self.request.GET.get("next")
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()}):
            return target
        return default


class FilteredQuerysetMixin:
    def filtered(self, filter_bar=False):
        c = self.config
        qs = c.queryset(self.request.user, "view")
        view_key = self.request.GET.get("view")
        if view_key and view_key in c.saved_views:
            qs = c.saved_views[view_key][1](qs, self.request.user)
        filterset = c.filterset_class(self.request.GET or None, queryset=qs, request=self.request)
        if filter_bar:
            # Before .qs: the values are then checked against the cached choices, not queried.
            filterset.use_cached_choices()
        return filterset, (filterset.qs if filterset.is_bound else qs)


class ObjectListView(FilteredQuerysetMixin, ConfigView):
    template_name = "generic/object_list.html"

    def get(self, request, **kwargs):
        self.check_permission("view")
        c = self.config
        filterset, qs = self.filtered(filter_bar=True)
        qs = c.list_queryset(qs, c.table_class)
        table = c.table_class(qs)  # no request= here: that would paginate with a full COUNT first
        per_page = min(max(parse_id(request.GET.get("per_page")) or 50, 10), 200)
        RequestConfig(request, paginate={"per_page": per_page, "paginator_class": CappedPaginator}).configure(table)
        query = request.GET.copy()
        query.pop("page", None)
        user_views = SavedView.objects.filter(model_label=c.label).filter(user=request.user) | SavedView.objects.filter(
            model_label=c.label, shared=True
        )
        context = self.base_context(
            table=table,
            filterset=filterset,
            query=query.urlencode(),
            builtin_views=[(k, v[0]) for k, v in c.saved_views.items()],
            active_view=request.GET.get("view", ""),
            user_views=user_views.distinct().order_by("name")[:30],
            saved_view_form=SavedViewForm(initial={"query": query.urlencode()}),
            bulk_actions=[(label, url) for label, url, perm in c.bulk_actions if request.user.has_perm(perm)],
        )
        template = self.template_name
        if request.htmx and request.htmx.target == "results":
            template += "#results"
        return render(request, template, context)


class ObjectDetailView(ConfigView):
    def get_object(self, action, deleted=False):
        # The relations shown are read with one query per related model: joining them all
        # cost PostgreSQL ~10 ms of planning, and one query per relation as many round trips.
        self.check_permission(action)
        qs = self.config.queryset(self.request.user, action, deleted=deleted).select_related(None)
        paths = [*self.config.select_related, *self.config.detail_relations()]
        direct = [p for p in dict.fromkeys(paths) if "__" not in p]
        nested = [p for p in dict.fromkeys(paths) if "__" in p]
        obj = get_object_or_404(qs.select_related(*nested) if nested else qs, pk=self.kwargs["pk"])
        attach_related([obj], direct)
        return obj

    def get(self, request, pk):
        obj = self.get_object("view")
        c = self.config
        fields = []
        for name in c.detail_fields:
            from ..exporting import cell_value, field_label

            if is_attachment_field(c.model, name):
                fields.append((field_label(c.model, name), file_link(obj, name)))  # never a /media/ URL
                continue
            fields.append((field_label(c.model, name), cell_value(obj, name)))
        tabs = []
        for tab in c.visible_tabs(request.user):
            tabs.append(
                {
                    "key": tab.key,
                    "label": tab.label,
                    "template": tab.template,
                    **tab.get_context(obj, request.user),
                }
            )
        timeline = audit_model().objects.for_object(obj).select_related("actor")[:50]
        context = self.base_context(
            object=obj,
            fields=fields,
            tabs=tabs,
            timeline=timeline,
            can_change_object=c.can_edit and c.allows(request.user, "change", obj),
            can_delete_object=c.can_delete and c.allows(request.user, "delete", obj),
        )
        if c.detail_context is not None:
            context.update(c.detail_context(obj, request.user))
        from ..timeline import describe_entries

        context["timeline"] = describe_entries(context["timeline"], subject=obj)
        return render(request, c.detail_template, context)


def _nothing_to_choose(form):
    """verbose name of a required single-choice relation whose (scoped) choices are empty."""
    for name, field in form.fields.items():
        queryset = getattr(field, "queryset", None)
        if queryset is None or not field.required or getattr(field, "many_to_many", False):
            continue
        if form.initial.get(name) in (None, "") and not queryset.exists():
            return queryset.model._meta.verbose_name
    return None


class ObjectEditView(ConfigView):
    template_name = "generic/object_edit.html"

    def get_instance(self):
        if "pk" in self.kwargs:
            return self.get_object("change")
        self.check_permission("add")
        return None

    def get_form(self, instance, data=None, files=None):
        initial = {}
        if instance is None and data is None:
            initial = {k: v for k, v in self.request.GET.items() if k in self.config.form_class.base_fields}
        return self.config.form_class(
            data=data, files=files, instance=instance, user=self.request.user, initial=initial
        )

    def render_form(self, form, instance, status=200):
        return render(
            self.request,
            self.config.edit_template,
            self.base_context(form=form, object=instance, version=getattr(instance, "version", None)),
            status=status,
        )

    def get(self, request, **kwargs):
        instance = self.get_instance()
        form = self.get_form(instance)
        if instance is None and (missing := _nothing_to_choose(form)) is not None:
            # A required parent the user has none of (agent: a follow-up with no customer of her
            # own): say so instead of a form that can never be saved.
            return render(
                request,
                "core/error_page.html",
                {
                    "title": _("Nothing to add this to yet"),
                    "message": _(
                        "A %(this)s needs a %(parent)s, and there is none in your data scope. "
                        "Ask your manager to assign you one."
                    )
                    % {"this": self.config.verbose_name, "parent": missing},
                },
            )
        return self.render_form(form, instance)

    def post(self, request, **kwargs):
        instance = self.get_instance()
        # The form works on a copy: ModelForm validation writes the new values into its instance,
        # and the service must see the stored values to audit "before → after".
        form = self.get_form(copy.copy(instance) if instance is not None else None, request.POST, request.FILES)
        if form.is_valid():
            try:
                if instance is None:
                    obj = self.config.service.create(actor=request.user, data=form.service_data())
                else:
                    obj = self.config.service.update(
                        actor=request.user,
                        instance=instance,
                        data=form.service_data(),
                        version=request.POST.get("_version"),
                    )
            except ValidationError as e:
                apply_validation_error(form, e)
            else:
                messages.success(request, _("Saved %(name)s.") % {"name": obj})
                if "_addanother" in request.POST:
                    return HttpResponseRedirect(self.config.url("add"))
                return HttpResponseRedirect(self.safe_next(self.config.url(pk=obj.pk) or self.config.url("list")))
        return self.render_form(form, instance, status=400 if request.htmx else 200)


class ObjectDeleteView(ConfigView):
    template_name = "generic/object_delete.html"

    def get(self, request, pk):
        obj = self.get_object("delete")
        return render(request, self.template_name, self.base_context(object=obj))

    def post(self, request, pk):
        obj = self.get_object("delete")
        try:
            self.config.service.delete(actor=request.user, instance=obj, version=request.POST.get("_version"))
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return HttpResponseRedirect(self.config.url(pk=obj.pk))
        messages.success(request, _("Deleted %(name)s.") % {"name": obj})
        return HttpResponseRedirect(self.config.url("list"))


def _selected(request):
    return [pk for pk in map(parse_id, request.POST.getlist("pk")) if pk]


class BulkDeleteView(ConfigView):
    def post(self, request):
        self.check_permission("delete")
        objs = list(self.config.queryset(request.user, "delete").filter(pk__in=_selected(request)))
        if "_confirm" not in request.POST:
            return render(request, "generic/bulk_delete.html", self.base_context(objects=objs))
        done, failed = 0, []
        for obj in objs:
            try:
                with transaction.atomic():
                    self.config.service.delete(actor=request.user, instance=obj)
                done += 1
            except ValidationError as e:
                failed.append(f"{obj}: {' '.join(e.messages)}")
        messages.success(request, _("Deleted %(n)s records.") % {"n": done})
        for f in failed:
            messages.error(request, f)
        return HttpResponseRedirect(self.safe_next(self.config.url("list")))


class BulkEditView(ConfigView):
    template_name = "generic/bulk_edit.html"

    def form_class(self):
        from django import forms

        base = self.config.form_class
        # Copies: the model form's own fields must stay required.
        fields = {name: copy.deepcopy(base.base_fields[name]) for name in self.config.bulk_edit_fields}
        for f in fields.values():
            f.required = False
        return type("BulkEditForm", (forms.Form,), dict(fields))

    def post(self, request):
        self.check_permission("change")
        objs = list(self.config.queryset(request.user, "change").filter(pk__in=_selected(request)))
        form_cls = self.form_class()
        from ..forms import restrict_choices

        if "_apply" not in request.POST:
            form = form_cls()
            restrict_choices(form.fields, request.user)
            return render(request, self.template_name, self.base_context(objects=objs, form=form))
        form = form_cls(request.POST)
        restrict_choices(form.fields, request.user)
        chosen = [n for n in self.config.bulk_edit_fields if request.POST.get(f"_set_{n}")]
        if form.is_valid() and chosen:
            data = {n: form.cleaned_data[n] for n in chosen}
            try:
                with transaction.atomic():
                    for obj in objs:
                        self.config.service.update(actor=request.user, instance=obj, data=data)
            except ValidationError as e:
                messages.error(request, " ".join(e.messages))
            else:
                messages.success(request, _("Updated %(n)s records.") % {"n": len(objs)})
                return HttpResponseRedirect(self.safe_next(self.config.url("list")))
        elif not chosen:
            form.add_error(None, _("Tick at least one field to change."))
        return render(request, self.template_name, self.base_context(objects=objs, form=form), status=400)


class RecycleBinView(ConfigView):
    def get(self, request):
        self.check_permission("change")
        qs = (
            self.config.queryset(request.user, "view", deleted=True)
            .select_related("deleted_by")
            .order_by("-deleted_at")
        )
        paginator = CappedPaginator(qs, 50)
        page = paginator.get_page(request.GET.get("page"))
        return render(request, "generic/recycle_bin.html", self.base_context(page=page))


class ObjectRestoreView(ConfigView):
    def post(self, request, pk):
        obj = self.get_object("change", deleted=True)
        try:
            self.config.service.restore(actor=request.user, instance=obj)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return HttpResponseRedirect(self.config.url("recycle_bin"))
        messages.success(request, _("Restored %(name)s.") % {"name": obj})
        return HttpResponseRedirect(self.config.url("recycle_bin"))


class ObjectPurgeView(ConfigView):
    def post(self, request, pk):
        obj = self.get_object("purge", deleted=True)
        try:
            self.config.service.purge(actor=request.user, instance=obj)
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
        except Exception as e:  # ProtectedError: still referenced elsewhere
            if e.__class__.__name__ != "ProtectedError":
                raise
            messages.error(
                request,
                _("%(name)s is still referenced by other records and cannot be purged.") % {"name": obj},
            )
        else:
            messages.success(request, _("Purged %(name)s for good.") % {"name": obj})
        return HttpResponseRedirect(self.config.url("recycle_bin"))


class ObjectExportView(FilteredQuerysetMixin, ConfigView):
    def get(self, request):
        self.check_permission("export")
        filterset, qs = self.filtered()
        if filterset.is_bound and not filterset.is_valid():
            messages.error(request, _("Fix the filter before exporting."))
            return HttpResponseRedirect(self.config.url("list"))
        fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
        params = {k: v for k, v in request.GET.items() if k not in {"format", "page"} and v}
        audit_log(
            actor=request.user,
            action="export",
            model=self.config.model,
            object_repr=str(self.config.verbose_name_plural),
            message=f"{fmt}; filter: {urlencode(params) or '-'}",
        )
        return export_response(qs, self.config.export_fields, fmt, self.config.url_base)


class SavedViewCreateView(ConfigView):
    def post(self, request):
        self.check_permission("view")
        form = SavedViewForm(request.POST)
        # Re-encoded: the query string goes into a Location header and into links.
        query = QueryDict(form.data.get("query", "")[:2000]).urlencode()[:2000]
        if form.is_valid():
            SavedView.objects.update_or_create(
                user=request.user,
                model_label=self.config.label,
                name=form.cleaned_data["name"],
                defaults={"query": query, "shared": form.cleaned_data["shared"]},
            )
            messages.success(request, _("Saved view “%(name)s”.") % {"name": form.cleaned_data["name"]})
        else:
            messages.error(request, _("Give the view a name."))
        return HttpResponseRedirect(f"{self.config.url('list')}?{query}")


class ImportView(ConfigView):
    template_name = "generic/import.html"

    def check(self):
        self.check_permission("import")
        self.check_permission("add")

    def upload_form(self, *args):
        if self.config.import_form is not None:
            return self.config.import_form(*args, user=self.request.user)
        return ImportUploadForm(*args, has_key=bool(self.config.import_key))

    def get(self, request):
        self.check()
        form = self.upload_form()
        jobs = ImportJob.objects.filter(model_label=self.config.label, created_by=request.user)[:10]
        return render(request, self.template_name, self.base_context(form=form, jobs=jobs))

    def post(self, request):
        self.check()
        form = self.upload_form(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.base_context(form=form, jobs=[]), status=400)
        upload = form.cleaned_data["file"]
        from ..importing import ImportSpec, read_header

        try:
            header = read_header(upload, upload.name)
            ImportSpec(self.config).map_header(header)
        except ValidationError as e:
            form.add_error("file", e)
            return render(request, self.template_name, self.base_context(form=form, jobs=[]), status=400)
        upload.seek(0)
        job = ImportJob.objects.create(
            model_label=self.config.label,
            file=upload,
            original_name=upload.name[:255],
            options=form.import_options()
            if hasattr(form, "import_options")
            else {"duplicate_strategy": form.cleaned_data.get("duplicate_strategy", "create")},
            created_by=request.user,
        )
        from ..tasks import import_job_run

        transaction.on_commit(lambda: import_job_run(job.pk, request.user.pk, False))
        return HttpResponseRedirect(self.config.url("import_job", job=job.pk))


class ImportJobView(ConfigView):
    template_name = "generic/import_job.html"

    def get_job(self):
        self.check_permission("import")
        return get_object_or_404(
            ImportJob,
            pk=self.kwargs["job"],
            model_label=self.config.label,
            created_by=self.request.user,
        )

    def get(self, request, job):
        job = self.get_job()
        template = self.template_name
        if request.htmx:
            template += "#progress"
        return render(request, template, self.base_context(job=job))

    def post(self, request, job):
        job = self.get_job()
        self.check_permission("add")
        # Conditional update: a double click (or two tabs) must not import the rows twice.
        claimed = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED, valid_rows__gt=0).update(
            status=ImportJob.Status.PENDING
        )
        if not claimed:
            messages.error(request, _("This import has no checked rows to import."))
            return HttpResponseRedirect(self.config.url("import_job", job=job.pk))
        from ..tasks import import_job_run

        transaction.on_commit(lambda: import_job_run(job.pk, request.user.pk, True))
        return HttpResponseRedirect(self.config.url("import_job", job=job.pk))


class ImportTemplateView(ConfigView):
    def get(self, request):
        self.check_permission("import")
        from ..importing import build_template

        response = HttpResponse(
            build_template(self.config),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{self.config.url_base}-template-{timezone.localdate():%Y%m%d}.xlsx"'
        )
        return response
