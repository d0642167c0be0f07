"""Declared generic CRUD (NetBox-style): one `ModelConfig` per model gives list, detail, edit,
delete, bulk edit/delete, recycle bin, import, export, API viewset, menu entry and global search.

An entity with workflow passes its own `service` (a `ModelService` subclass) and adds small
explicit views for its transitions.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist
from django.urls import NoReverseMatch, path, reverse
from django.utils.functional import cached_property

from .services import ModelService

_registry: dict[str, "ModelConfig"] = {}


@dataclass
class Tab:
    """A related-records tab on a detail page; later modules add tabs to existing models."""

    key: str
    label: str
    template: str
    get_context: object  # callable(obj, user) -> dict
    permission: str | None = None
    order: int = 100


@dataclass
class ModelConfig:
    model: type
    url_base: str  # e.g. "departments": /accounts/departments/, /api/v1/departments/
    list_fields: list = field(default_factory=list)
    form_fields: list = field(default_factory=list)
    detail_fields: list = field(default_factory=list)
    export_fields: list | None = None
    import_fields: list | None = None  # None: no import for this model
    import_key: str | None = None  # field matching existing rows for the "update" strategy
    import_form: type | None = None  # upload form with extra options (needs .import_options())
    import_runner: object = None  # callable(job, user=, commit=) replacing the generic row-by-row import
    bulk_edit_fields: list = field(default_factory=list)
    search_fields: list = field(default_factory=list)  # global search (Ctrl+K)
    api_fields: list | None = None
    api_read_only: bool = False
    filterset: type | None = None
    form: type | None = None
    table: type | None = None
    serializer: type | None = None
    service: ModelService | None = None
    select_related: list = field(default_factory=list)
    prefetch_related: list = field(default_factory=list)
    # Fields the list page loads (`QuerySet.only()`), related ones as `level__label_zh`: a
    # model instance costs per loaded field, and a list builds hundreds a page. None: all.
    list_only: list | None = None
    ordering: list = field(default_factory=lambda: ["-pk"])
    menu_group: str | None = None
    menu_icon: str = "ti ti-point"
    menu_order: int = 100
    saved_views: dict = field(default_factory=dict)  # key -> (label, callable(qs, user) -> qs)
    tabs: list = field(default_factory=list)
    # Extra buttons on the list's bulk bar: (label, url, permission); they POST the selected pks.
    bulk_actions: list = field(default_factory=list)
    detail_template: str = "generic/object_detail.html"
    edit_template: str = "generic/object_edit.html"
    detail_context: object = None  # callable(obj, user) -> dict of extra detail-page context
    can_add: bool = True
    can_edit: bool = True
    can_delete: bool = True

    def __post_init__(self):
        if self.service is None:
            self.service = ModelService(self.model)
        if self.export_fields is None:
            self.export_fields = list(self.list_fields)

    # --- names ---------------------------------------------------------------------------
    @property
    def app_label(self):
        return self.model._meta.app_label

    @property
    def model_name(self):
        return self.model._meta.model_name

    @property
    def label(self):
        return f"{self.app_label}.{self.model_name}"

    @property
    def verbose_name(self):
        return self.model._meta.verbose_name

    @property
    def verbose_name_plural(self):
        return self.model._meta.verbose_name_plural

    def perm(self, action):
        return f"{self.app_label}.{action}_{self.model_name}"

    def url_name(self, action=None):
        suffix = f"_{action}" if action else ""
        return f"{self.app_label}:{self.model_name}{suffix}"

    def url(self, action=None, **kwargs):
        try:
            return reverse(self.url_name(action), kwargs=kwargs or None)
        except NoReverseMatch:
            return ""

    @property
    def soft_delete(self):
        return hasattr(self.model, "all_objects") and any(
            f.name == "deleted_at" for f in self.model._meta.concrete_fields
        )

    # --- querysets -----------------------------------------------------------------------
    def base_queryset(self, deleted=False):
        manager = self.model.all_objects if self.soft_delete else self.model.objects
        qs = manager.all()
        if self.soft_delete:
            qs = qs.deleted() if deleted else qs.alive()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs.order_by(*self.ordering)

    def queryset(self, user, action="view", deleted=False):
        return self.base_queryset(deleted=deleted).visible_to(user, action)

    def allows(self, user, action, obj):
        """Whether `user` may `action` `obj`, a row read through queryset(user, "view")."""
        if self.model.SCOPE_BY_ACTION:
            return self.queryset(user, action).filter(pk=obj.pk).exists()
        if getattr(self.model, "PERSONAL", False):
            return True  # visible_to() gives personal records to their owner whatever the action
        opts = self.model._meta
        return user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")

    def detail_relations(self):
        """select_related() paths for the forward relations that detail_fields go through."""
        paths = []
        for name in self.detail_fields:
            model, trail = self.model, []
            for part in name.split("__"):
                try:
                    field = model._meta.get_field(part)
                except FieldDoesNotExist:
                    break
                if not (field.many_to_one or field.one_to_one) or not field.concrete:
                    break
                trail.append(part)
                model = field.related_model
            if trail:
                paths.append("__".join(trail))
        return paths

    def list_queryset(self, qs, table_class):
        """`qs` trimmed for a list page: only `list_only`, no prefetch of what the table loads
        for its page itself (CrmTable.page_m2m), and the page read by primary keys first."""
        own = set(getattr(table_class, "page_m2m", ()))
        if own & set(self.prefetch_related):
            qs = qs.prefetch_related(None).prefetch_related(*[p for p in self.prefetch_related if p not in own])
        qs = qs.only(*self.list_only) if self.list_only else qs
        return qs.page_by_ids() if hasattr(qs, "page_by_ids") else qs

    # --- generated classes ---------------------------------------------------------------
    @cached_property
    def form_class(self):
        if self.form is not None:
            return self.form
        from django.forms import modelform_factory

        from .forms import ScopedModelForm

        return modelform_factory(self.model, form=ScopedModelForm, fields=self.form_fields)

    @cached_property
    def filterset_class(self):
        if self.filterset is not None:
            return self.filterset
        from .filtersets import filterset_for

        return filterset_for(self.model, [])

    @cached_property
    def table_class(self):
        if self.table is not None:
            return self.table
        from .tables import table_for

        return table_for(self)

    @cached_property
    def serializer_class(self):
        if self.serializer is not None:
            return self.serializer
        from .api.serializers import serializer_for

        return serializer_for(self.model, self.api_fields or ["id", *self.form_fields])

    def visible_tabs(self, user):
        return sorted(
            (t for t in self.tabs if t.permission is None or user.has_perm(t.permission)),
            key=lambda t: t.order,
        )


def register(config: ModelConfig) -> ModelConfig:
    from .navigation import forget_menus

    _registry[config.label] = config
    forget_menus()  # menus list the registered models
    return config


def get_config(model_or_label) -> ModelConfig:
    if not isinstance(model_or_label, str):
        model_or_label = model_or_label._meta.label_lower
    return _registry[model_or_label]


def configs(app_label=None):
    return [c for c in _registry.values() if app_label is None or c.app_label == app_label]


def add_tab(model, tab: Tab):
    """Let a later module add a tab to another module's detail page without editing it."""
    get_config(model).tabs.append(tab)


def urls_for_app(app_label):
    from .views import generic as g

    patterns = []
    for c in configs(app_label):
        b, n = c.url_base, c.model_name
        kw = {"config": c}
        patterns += [
            path(f"{b}/", g.ObjectListView.as_view(**kw), name=f"{n}_list"),
            path(f"{b}/export/", g.ObjectExportView.as_view(**kw), name=f"{n}_export"),
            path(f"{b}/saved-views/", g.SavedViewCreateView.as_view(**kw), name=f"{n}_saved_view_add"),
            path(f"{b}/<int:pk>/", g.ObjectDetailView.as_view(**kw), name=n),
        ]
        if c.can_add:
            patterns.append(path(f"{b}/add/", g.ObjectEditView.as_view(**kw), name=f"{n}_add"))
        if c.can_edit:
            patterns.append(path(f"{b}/<int:pk>/edit/", g.ObjectEditView.as_view(**kw), name=f"{n}_edit"))
            if c.bulk_edit_fields:
                patterns.append(path(f"{b}/bulk-edit/", g.BulkEditView.as_view(**kw), name=f"{n}_bulk_edit"))
        if c.can_delete:
            patterns += [
                path(f"{b}/<int:pk>/delete/", g.ObjectDeleteView.as_view(**kw), name=f"{n}_delete"),
                path(f"{b}/bulk-delete/", g.BulkDeleteView.as_view(**kw), name=f"{n}_bulk_delete"),
            ]
            if c.soft_delete:
                patterns += [
                    path(f"{b}/recycle-bin/", g.RecycleBinView.as_view(**kw), name=f"{n}_recycle_bin"),
                    path(
                        f"{b}/<int:pk>/restore/",
                        g.ObjectRestoreView.as_view(**kw),
                        name=f"{n}_restore",
                    ),
                    path(f"{b}/<int:pk>/purge/", g.ObjectPurgeView.as_view(**kw), name=f"{n}_purge"),
                ]
        if c.import_fields is not None:
            patterns += [
                path(f"{b}/import/", g.ImportView.as_view(**kw), name=f"{n}_import"),
                path(
                    f"{b}/import/template/",
                    g.ImportTemplateView.as_view(**kw),
                    name=f"{n}_import_template",
                ),
                path(f"{b}/import/<int:job>/", g.ImportJobView.as_view(**kw), name=f"{n}_import_job"),
            ]
    return patterns


def api_routes(router, overrides=None):
    """Register every declared model on the API router; `overrides` maps a label to a custom viewset."""
    from .api.viewsets import viewset_for

    overrides = overrides or {}
    for c in _registry.values():
        router.register(c.url_base, overrides.get(c.label) or viewset_for(c), basename=c.label.replace(".", "-"))
