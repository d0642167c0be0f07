"""Generic persona suite (issue 11 item 6), in the spirit of NetBox's ViewTestCases: every registered
model × persona × action, each outcome derived from the persona's function permission and the
record's data scope rather than written down by hand.

    no function permission      → 403 and nothing changed (the generic views and the API check the
                                  permission before they look the record up: a 403 reveals nothing)
    record outside the scope    → 404 and nothing changed
    method the model offers not → 405 (API) and nothing changed
    otherwise                   → success; writes are rolled back after each cell

Every write cell runs inside a savepoint that is rolled back, so each persona meets the same rows.
A model whose API has a generic `transfer` action (core/api/transfer.py) gets a transfer cell.
"""

import io
from dataclasses import dataclass, field

from django.core.management import call_command
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse
from rest_framework.test import APIClient, APIRequestFactory

from core.api.files import AttachmentField
from core.audit import snapshot
from core.choice_cache import scoped_choices
from core.models import OwnedModel

from .fixtures import PERSONAS
from .forms import form_data

# Own-scope personas who must never reach alice's records (core/testing/fixtures.py).
STRANGERS = ("bob", "charlie", "agent")
MARK = "改"  # appended to one free-text field by every edit, so that a leaked write shows


def seed(customers=6):
    call_command("seed_demo", customers=customers, stdout=io.StringIO())


def clear_process_caches():
    """The shared cache and the per-process copies: a rolled-back write must not leave its rows in them."""
    from django.core.cache import cache

    from basedata.parameters import _local as parameters
    from core.paginator import _estimates
    from core.related import _kept

    cache.clear()
    _estimates.clear()
    parameters.clear()
    _kept.clear()


def _owner_path(model):
    """`owner` for an owned model, `<fk>__owner` for a child of one (Contact → customer), else None."""
    if issubclass(model, OwnedModel):
        return "owner"
    for f in model._meta.concrete_fields:
        if f.many_to_one and f.related_model is not None and issubclass(f.related_model, OwnedModel):
            return f"{f.name}__owner"
    return None


def pick_target(config, org):
    """One live row per model: alice's (or a child of alice's) where the model is owned, alice
    herself for the user model, else any row — the first the admin could delete, so that a
    permitted delete shows its effect (a department with members or an item in use is refused)."""
    qs = config.base_queryset().order_by("-pk")
    path = _owner_path(config.model)
    if path is not None:
        preferred = list(qs.filter(**{path: org["alice"]})[:10])
    elif config.model is type(org["alice"]):
        preferred = list(qs.filter(pk=org["alice"].pk))
    else:
        preferred = []
    candidates = preferred + [o for o in qs[:30] if o not in preferred]
    if not config.can_delete:
        return candidates[0] if candidates else None
    for obj in candidates:
        if _deletable(config, obj, org["admin"]):
            return obj
    return candidates[0] if candidates else None


def _deletable(config, obj, admin):
    from django.core.exceptions import ValidationError

    try:
        with _rolled_back():
            config.service.delete(actor=admin, instance=reload(obj))
    except ValidationError:
        return False
    return True


def reload(obj):
    return type(obj)._base_manager.filter(pk=obj.pk).first()


def state(obj):
    fresh = reload(obj)
    return None if fresh is None else snapshot(fresh)


def _gone(config, obj):
    """Deleted, moved to the recycle bin, or (users) deactivated."""
    fresh = reload(obj)
    if fresh is None or (config.soft_delete and fresh.deleted_at is not None):
        return True
    return getattr(fresh, "is_active", True) is False


def free_text_field(model, names):
    """The first of `names` that is plain text (no choices, no validators but its length): an edit
    appends MARK to it, so a write that leaked through shows in the row."""
    for name in names:
        try:
            f = model._meta.get_field(name)
        except Exception:
            continue
        if not isinstance(f, models.CharField | models.TextField) or f.choices or f.unique:
            continue
        if any(not isinstance(v, MaxLengthValidator) for v in f.validators):
            continue
        return f
    return None


@dataclass
class Cell:
    model: str
    persona: str
    action: str
    expected: object  # 403 / 404 / 405 or "ok"
    status: int | None = None
    problem: str = ""

    def __str__(self):
        where = f"{self.model} × {self.persona} × {self.action}"
        return f"{where}: expected {self.expected}, got {self.status} {self.problem}"


@dataclass
class PersonaWalk:
    """All cells of one registered model: `run()` returns them, failed ones with a `problem`."""

    config: object
    org: dict
    cells: list = field(default_factory=list)

    def __post_init__(self):
        c = self.config
        self.target = pick_target(c, self.org)
        if self.target is None:
            return
        self.basename = c.label.replace(".", "-")
        self.web = {}
        self.api = {}
        for name in PERSONAS:
            self.web[name] = Client()
            self.web[name].force_login(self.org[name])
            self.api[name] = APIClient()
            self.api[name].force_authenticate(self.org[name])
        self.text_field = free_text_field(c.model, c.form_fields)
        if self.text_field is not None and c.url("edit", pk=self.target.pk):
            # A text field with rules of its own (a parameter's value is typed by its kind): no mark.
            with _rolled_back():
                url = c.url("edit", pk=self.target.pk)
                if self.web["admin"].post(url, self.edit_form("admin")).status_code != 302:
                    self.text_field = None
        # No row of the model the admin could delete (every department has members, every type
        # items): a permitted delete is then refused by the service, and must change nothing.
        self.undeletable = not (c.can_delete and _deletable(c, self.target, self.org["admin"]))

    # --- expectations ----------------------------------------------------------------------
    def expected(self, persona, action, *, scoped=True, also=()):
        user = self.org[persona]
        for a in (action, *also):
            if not user.has_perm(self.config.perm(a)):
                return 403
        if scoped and not self.config.queryset(user, action).filter(pk=self.target.pk).exists():
            return 404
        return "ok"

    def record(self, persona, action, expected, status, problem=""):
        self.cells.append(Cell(self.config.label, persona, action, expected, status, problem))

    def check(self, persona, action, expected, response, ok, *, before=None, after_ok=None):
        """`ok`: success statuses; `before`: the target's state, which a refusal must leave as it was;
        `after_ok()`: a problem string ("" when fine) once the permitted request succeeded."""
        status = response.status_code
        problem = ""
        if expected == "ok":
            if status not in ok:
                problem = _why(response)
            elif after_ok is not None:
                problem = after_ok()
        else:
            if status != expected:
                problem = "(refusal expected)"
            if before is not None and state(self.target) != before:
                problem += " ROW CHANGED"
        self.record(persona, action, expected, status, problem.strip())

    # --- running ---------------------------------------------------------------------------
    def run(self):
        if self.target is None:
            self.record("-", "pick", "a row", None, "seed_demo has no row of this model")
            return self.cells
        self.scope_invariant()
        for persona in PERSONAS:
            for step in self.steps():
                with _rolled_back():
                    step(persona)
        return self.cells

    def scope_invariant(self):
        """The expectations follow the declared scope; this cell checks the scope itself: an owned
        record (or a child of one) of alice's is out of reach of the own-scope personas of the demo
        organisation (the unscoped `class X(BusinessModel, OwnedModel)` of issue 11 let them in)."""
        path = _owner_path(self.config.model)
        if path is None or not self.config.base_queryset().filter(pk=self.target.pk, **{path: self.org["alice"]}):
            return
        for persona in STRANGERS:
            seen = self.config.queryset(self.org[persona], "view").filter(pk=self.target.pk).exists()
            self.record(persona, "scope: alice's record hidden", 404, 200 if seen else 404, "LEAK" if seen else "")

    def steps(self):
        c = self.config
        steps = [self.web_list, self.web_detail, self.web_export, self.api_list, self.api_retrieve]
        if c.url("edit", pk=self.target.pk):
            steps += [self.web_edit_get, self.web_edit_post]
        if c.url("add"):
            steps.append(self.web_add_get)
        if c.url("delete", pk=self.target.pk):
            steps += [self.web_delete_get, self.web_delete]
        if c.url("import"):
            steps.append(self.web_import)
        steps += [self.api_create, self.api_update, self.api_delete]
        if self.api_url("transfer"):
            steps.append(self.api_transfer)
        return steps

    # --- web -------------------------------------------------------------------------------
    def web_list(self, persona):
        response = self.web[persona].get(self.config.url("list"))
        self.check(persona, "web list", self.expected(persona, "view", scoped=False), response, {200})

    def web_detail(self, persona):
        response = self.web[persona].get(self.config.url(pk=self.target.pk))
        self.check(persona, "web detail", self.expected(persona, "view"), response, {200})

    def web_export(self, persona):
        response = self.web[persona].get(self.config.url("export"), {"format": "csv"})
        if response.streaming:  # errors while streaming surface only when the body is read
            b"".join(response.streaming_content)
        self.check(persona, "web export", self.expected(persona, "export", scoped=False), response, {200})

    def web_import(self, persona):
        response = self.web[persona].get(self.config.url("import"))
        expected = self.expected(persona, "import", scoped=False, also=("add",))
        self.check(persona, "web import page", expected, response, {200})

    def web_edit_get(self, persona):
        response = self.web[persona].get(self.config.url("edit", pk=self.target.pk))
        self.check(persona, "web edit GET", self.expected(persona, "change"), response, {200})

    def web_add_get(self, persona):
        response = self.web[persona].get(self.config.url("add"))
        self.check(persona, "web add GET", self.expected(persona, "add", scoped=False), response, {200})

    def web_delete_get(self, persona):
        response = self.web[persona].get(self.config.url("delete", pk=self.target.pk))
        self.check(persona, "web delete GET", self.expected(persona, "delete"), response, {200})

    def edit_form(self, persona):
        """The edit form as `persona`'s browser submits it (the admin's where the persona may not open it)."""
        url = self.config.url("edit", pk=self.target.pk)
        page = self.web[persona].get(url)
        if page.status_code != 200:
            page = self.web["admin"].get(url)
        data = form_data(page.content.decode(), id="object-form")
        f = self.text_field
        if f is not None and isinstance(data.get(f.name), str):
            data[f.name] = (data[f.name] + MARK)[-f.max_length :] if f.max_length else data[f.name] + MARK
        return data

    def web_edit_post(self, persona):
        expected = self.expected(persona, "change")
        data = self.edit_form(persona)
        before = state(self.target)
        response = self.web[persona].post(self.config.url("edit", pk=self.target.pk), data)
        self.check(persona, "web edit POST", expected, response, {302}, before=before, after_ok=self.edited(data))

    def web_delete(self, persona):
        expected, after = self.delete_outcome(persona)
        before = state(self.target)
        response = self.web[persona].post(
            self.config.url("delete", pk=self.target.pk), {"_version": getattr(self.target, "version", "")}
        )
        self.check(persona, "web delete POST", expected, response, {302}, before=before, after_ok=after)

    # --- API -------------------------------------------------------------------------------
    def api_url(self, action, pk=True):
        try:
            return reverse(f"{self.basename}-{action}", kwargs={"pk": self.target.pk} if pk else None)
        except NoReverseMatch:
            return ""

    def offered(self, method):
        view = resolve(self.api_url("detail")).func
        return method in getattr(view.cls, "http_method_names", ())

    def api_list(self, persona):
        response = self.api[persona].get(self.api_url("list", pk=False))
        self.check(persona, "API list", self.expected(persona, "view", scoped=False), response, {200})

    def api_retrieve(self, persona):
        response = self.api[persona].get(self.api_url("detail"))
        self.check(persona, "API retrieve", self.expected(persona, "view"), response, {200})

    def serializer(self, action):
        view = resolve(self.api_url("detail")).func
        instance = view.cls(**view.initkwargs)
        request = APIRequestFactory().get("/")
        request.user = self.org["admin"]
        instance.request, instance.action, instance.format_kwarg, instance.kwargs = request, action, None, {}
        return instance.get_serializer_class()(context={"request": request})

    def writable(self, action):
        """The admin's representation of the target minus what the serializer reads only."""
        serializer = self.serializer(action)
        read_only = {n for n, f in serializer.fields.items() if f.read_only or isinstance(f, AttachmentField)}
        body = self.api["admin"].get(self.api_url("detail")).json()
        data = {k: v for k, v in body.items() if k in serializer.fields and k not in read_only}
        f = self.text_field
        if f is not None and isinstance(data.get(f.name), str):
            data[f.name] = (data[f.name] + MARK)[-f.max_length :] if f.max_length else data[f.name] + MARK
        return data

    def create_data(self, persona):
        """The target's writable fields (optional text, phone and e-mail among it, left out: it would
        make a duplicate), unique ones made new, and parents the persona may
        see. Returns (data, parents outside the persona's scope that the target's row refers to)."""
        model, user = self.config.model, self.org[persona]
        serializer = self.serializer("create")
        data = {
            k: v for k, v in self.writable("create").items() if serializer.fields[k].required or not isinstance(v, str)
        }
        foreign = {}
        for name, value in list(data.items()):
            target = getattr(serializer.fields[name], "child_relation", serializer.fields[name])
            qs = getattr(target, "queryset", None)
            if qs is not None and value not in (None, "", []) and scoped_choices(qs.model):
                visible = qs.model.objects.visible_to(user, "view")
                many = isinstance(value, list)
                ids = value if many else [value]
                if visible.filter(pk__in=ids).count() < len(set(ids)):
                    foreign[name] = value
                    other = visible.order_by("pk").first()
                    data[name] = ([other.pk] if many else other.pk) if other is not None else None
            elif isinstance(value, str) and _unique(model, name):
                data[name] = _distinct(model, name, value)
        return data, foreign

    def api_create(self, persona):
        expected = self.expected(persona, "add", scoped=False)
        if expected == "ok" and not self.offered("post"):
            expected = 405
        data, foreign = self.create_data(persona)
        url = self.api_url("list", pk=False)
        model = self.config.model
        if expected == "ok" and foreign:
            # A parent outside the persona's scope is "does not exist" (400), and nothing is added.
            count = model._base_manager.count()
            response = self.api[persona].post(url, {**data, **foreign}, format="json")
            problem = "" if model._base_manager.count() == count else "ROW ADDED"
            errors = response.json().get("errors", {}) if response.status_code == 400 else {}
            if response.status_code == 400 and not set(foreign) <= set(errors):
                problem += f" errors name no parent: {errors}"
            self.record(persona, "API create (parent outside scope)", 400, response.status_code, problem.strip())
            if response.status_code != 400:
                self.cells[-1].problem = (self.cells[-1].problem + " (refusal expected)").strip()
            if any(v is None for v in data.values()):
                return  # no parent in scope for this persona: nothing it could create
        count = model._base_manager.count()
        response = self.api[persona].post(url, data, format="json")
        problem = "" if expected == "ok" or model._base_manager.count() == count else " ROW ADDED"
        self.check(persona, "API create", expected, response, {201})
        self.cells[-1].problem = (self.cells[-1].problem + problem).strip()

    def api_update(self, persona):
        expected = self.expected(persona, "change")
        if expected == "ok" and not self.offered("put"):
            expected = 405
        data = self.writable("update")
        before = state(self.target)
        response = self.api[persona].put(self.api_url("detail"), data, format="json")
        self.check(persona, "API update", expected, response, {200}, before=before, after_ok=self.edited(data))

    def api_delete(self, persona):
        expected, after = self.delete_outcome(persona)
        if expected == "ok" and not self.offered("delete"):
            expected = 405
        before = state(self.target)
        response = self.api[persona].delete(self.api_url("detail"))
        ok = {400} if self.undeletable else {204}  # refused by the service: 400 with its message
        self.check(persona, "API delete", expected, response, ok, before=before, after_ok=after)

    def api_transfer(self, persona):
        expected = self.expected(persona, "transfer")
        new_owner = self.org["bob"] if self.target.owner_id != self.org["bob"].pk else self.org["charlie"]
        before = state(self.target)
        response = self.api[persona].post(
            self.api_url("transfer"), {"owner": new_owner.pk, "reason": "persona suite"}, format="json"
        )

        def moved():
            return "" if reload(self.target).owner_id == new_owner.pk else "owner did not change"

        self.check(persona, "API transfer", expected, response, {200}, before=before, after_ok=moved)

    # --- effects of permitted writes ---------------------------------------------------------
    def edited(self, data):
        f = self.text_field
        if f is None or f.name not in data:
            return None

        def check():
            value = getattr(reload(self.target), f.name)
            return "" if value == data[f.name] else f"{f.name} not saved ({value!r} ≠ {data[f.name]!r})"

        return check

    def deleted(self):
        return "" if _gone(self.config, self.target) else "row still there"

    def delete_outcome(self, persona):
        """(expected, success statuses, check after success) of a delete by `persona`."""
        expected = self.expected(persona, "delete")
        if expected != "ok" or not self.undeletable:
            return expected, self.deleted
        before = state(self.target)
        return expected, lambda: "" if state(self.target) == before else "ROW CHANGED by a refused delete"


class _Rollback(Exception):
    pass


class _rolled_back:
    """Run a cell in a savepoint that is always rolled back (and forget what caches saw of it)."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, kind, value, tb):
        self.atomic.__exit__(_Rollback, _Rollback(), None)
        clear_process_caches()
        return False


def _unique(model, name):
    try:
        f = model._meta.get_field(name)
    except Exception:
        return False
    if f.unique and not f.primary_key:
        return True
    together = [set(t) for t in model._meta.unique_together]
    together += [set(c.fields) for c in model._meta.constraints if getattr(c, "fields", None)]
    return any(name in t for t in together) or name == "name"


def _distinct(model, name, value):
    f = model._meta.get_field(name)
    suffix = "P6"
    limit = getattr(f, "max_length", None) or 64
    return (value[: limit - len(suffix)] + suffix) if value else suffix


def _why(response):
    context = getattr(response, "context", None)
    try:
        form = context and context.get("form")
    except Exception:
        form = None
    if form is not None and getattr(form, "errors", None):
        return f"form errors {dict(form.errors)}"
    if response.get("Content-Type", "").startswith("application/json"):
        return str(response.content[:300].decode(errors="replace"))
    if response.status_code in (301, 302):
        return f"→ {response['Location']}"
    return ""


def walk(config, org):
    return PersonaWalk(config, org).run()
