"""The activity timeline of detail pages: audit entries (core/audit.py) made readable.

An AuditEntry stores field names and raw values (ids for foreign keys, ISO strings for times).
`describe_entries()` turns them into headings ("Follow-up created: 电话沟通"), field labels from
the models' verbose names, related objects by name, local times and choice labels. Related ids
are resolved with one query per related model for the whole timeline, never one per entry.

Apps adjust entries of their own workflow with `register_describer(Model, func)` (e.g. a pool
claim) and name change keys that are not model fields with `register_change_label(key, label)`.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

# Bookkeeping that tells a reader nothing about the record.
NOISE_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "version",
    "lock_version",
    "search_text",
    "name_key",
    "created_by",
    "deleted_at",
    "deleted_by",
    "password",
    "last_login",
    "key_hash",
}
EMPTY = "—"
TEXT_LIMIT = 120

HEADINGS = {
    "create": _("%(model)s created"),
    "update": _("%(model)s updated"),
    "delete": _("%(model)s deleted"),
    "restore": _("%(model)s restored"),
    "purge": _("%(model)s purged"),
    "import": _("%(model)s imported"),
    "export": _("%(model)s exported"),
}

_change_labels = {"import": _("import file")}
_describers = {}


def register_change_label(key, label):
    """Label for a change key that is not a model field (e.g. "merged")."""
    _change_labels[key] = label


def register_describer(model, func):
    """func(item) may rewrite item.heading / item.message / item.changes for entries about `model`."""
    _describers.setdefault(model, []).append(func)


@dataclass
class Change:
    key: str
    label: str
    before: str
    after: str


@dataclass
class TimelineItem:
    entry: object
    model: type | None
    heading: str
    subject: str = ""
    message: str = ""
    changes: list = field(default_factory=list)
    # Creations and purges list the values once ("Summary: 电话沟通"), not "— → 电话沟通".
    single_value: bool = False

    @property
    def created_at(self):
        return self.entry.created_at

    @property
    def actor(self):
        return self.entry.actor_repr

    @property
    def action(self):
        return self.entry.action

    @property
    def raw_changes(self):
        return self.entry.changes or {}


def _field(model, key):
    if model is None:
        return None
    try:
        f = model._meta.get_field(key)
    except FieldDoesNotExist:
        return None
    return f if getattr(f, "concrete", False) else None


def _hidden(f, key):
    if key in NOISE_FIELDS:
        return True
    # Internal columns: not editable and never given a human name.
    return f is not None and not f.editable and getattr(f, "_verbose_name", "") is None


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _relation_target(f):
    return f.target_field.attname if f.many_to_one or f.one_to_one else "pk"


def _collect(entries, models):
    """{(related model, target attname): set(ids)} over every entry: one query per pair later."""
    wanted = {}
    for entry, model in zip(entries, models, strict=True):
        for key, pair in (entry.changes or {}).items():
            f = _field(model, key)
            if f is None or not f.is_relation or _hidden(f, key) or not isinstance(pair, list | tuple):
                continue
            ids = set()
            for value in pair:
                if _is_id(value):
                    ids.add(value)
                elif isinstance(value, list):
                    ids.update(v for v in value if _is_id(v))
            if ids:
                wanted.setdefault((f.related_model, _relation_target(f)), set()).update(ids)
    return wanted


def _resolve(wanted, subject=None):
    from .related import related_objects

    names = {}
    for (related, target), ids in wanted.items():
        if subject is not None and isinstance(subject, related) and target == related._meta.pk.attname:
            # Follow-ups and contacts on their customer's page name the customer they point at.
            names[(related, target)] = {subject.pk: str(subject)}
            ids = ids - {subject.pk}
            if not ids:
                continue
        if target == related._meta.pk.attname:
            rows = related_objects(related, ids).values()
        else:
            rows = related._base_manager.filter(**{f"{target}__in": ids})
        names.setdefault((related, target), {}).update((getattr(obj, target), str(obj)) for obj in rows)
    return names


def _datetime(value):
    try:
        moment = datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _value(f, value, names):
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if f is None:
        return Truncator(str(value)).chars(TEXT_LIMIT)
    if f.is_relation:
        lookup = names.get((f.related_model, _relation_target(f)), {})
        if isinstance(value, list):
            return ", ".join(lookup.get(v, f"#{v}") if _is_id(v) else str(v) for v in value)
        if _is_id(value):
            return lookup.get(value, f"#{value}")
        return str(value)  # workflow entries store the related object's name already
    if f.choices:
        label = dict(f.flatchoices).get(value)
        if label is not None:
            return str(label)
    internal = f.get_internal_type()
    if internal == "DateTimeField" and isinstance(value, str):
        return _datetime(value)
    if internal in ("FileField", "ImageField") and isinstance(value, str):
        return value.rsplit("/", 1)[-1]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return Truncator(str(value)).chars(TEXT_LIMIT)


def _label(model, f, key):
    if f is not None:
        return str(capfirst(f.verbose_name))
    if key in _change_labels:
        return str(capfirst(_change_labels[key]))
    return str(capfirst(key.replace("_", " ")))


def describe_entries(entries, subject=None):
    """Readable timeline items for audit `entries` (newest first, as given).

    On the page of `subject`, entries about the subject carry no ": name" after the heading,
    and entries of related records leave out the field that points back at the subject
    (a follow-up's "customer" on that customer's page).
    """
    entries = list(entries)
    if entries and isinstance(entries[0], TimelineItem):
        return entries
    models = []
    for entry in entries:
        ct = ContentType.objects.get_for_id(entry.content_type_id) if entry.content_type_id else None
        models.append(ct.model_class() if ct is not None else None)
    subject_ct = ContentType.objects.get_for_model(subject) if subject is not None else None
    subject_model = type(subject)._meta.concrete_model if subject is not None else None
    names = _resolve(_collect(entries, models), subject)
    items = []
    for entry, model in zip(entries, models, strict=True):
        about_subject = (
            subject is not None and entry.content_type_id == subject_ct.pk and entry.object_id == str(subject.pk)
        )
        if model is not None and entry.action in HEADINGS:
            heading = str(HEADINGS[entry.action] % {"model": capfirst(model._meta.verbose_name)})
        else:
            heading = str(entry.action_label)
        item = TimelineItem(
            entry=entry,
            model=model,
            heading=heading,
            subject="" if about_subject else entry.object_repr,
            message=entry.message,
            single_value=entry.action in ("create", "purge", "import"),
        )
        for key, pair in (entry.changes or {}).items():
            f = _field(model, key)
            if _hidden(f, key):
                continue
            before, after = (pair[0], pair[1]) if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            if (
                not about_subject
                and f is not None
                and f.is_relation
                and f.related_model is not None
                and f.related_model._meta.concrete_model is subject_model
                and str(after if after is not None else before) == str(subject.pk)
            ):
                continue  # "customer: <this customer>" on this customer's own page
            item.changes.append(Change(key, _label(model, f, key), _value(f, before, names), _value(f, after, names)))
        if item.single_value:
            # A snapshot lists the stored values; the empty side is the one that did not exist.
            for change in item.changes:
                if change.after == EMPTY and change.before != EMPTY:
                    change.after = change.before
        for func in _describers.get(model, ()):
            func(item)
        items.append(item)
    return items
