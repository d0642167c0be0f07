"""Fast customer import (CUS-10): XLSX/CSV → per-row checks → batched COPY / bulk_create.

Same upload checks, header mapping and report format as the generic engine, but every cell is
checked against the customer form's own rules (its fields, error messages and the model's
validators) by a per-column checker compiled once, and the created customers are written with
COPY in batches, by several connections while the next rows are checked (issue #3: 100,000
rows in ~5 s check + ~20 s commit on PostgreSQL here, most of it the database's own work).

Duplicates are looked for inside the file and in the database, by normalised name, phone or
mobile (either column matches either) and e-mail, with indexed lookups in batches. A row that
repeats an earlier row of the file is reported as "same customer as row N"; a row that matches
an existing customer is reported when it is skipped. Both follow the chosen strategy: skip,
update (the existing customer, or the one created from row N) or create. E-mails match in any
case inside the file, but in the database only as written or in lower case (the e-mail index
is on the column itself; find_duplicates' case-insensitive match would need one on UPPER()).
"""

import queue
import threading
import time
import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import validators as dj_validators
from django.core.exceptions import ValidationError
from django.db import connection, connections, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import AuditEntry
from basedata.models import DictItem, Region
from basedata.parameters import get_parameter
from core import context
from core.audit import audit_log
from core.bulk import insert_rows
from core.forms import ImportUploadForm
from core.importing import MAX_ERRORS_STORED, ImportSpec, mark_failed, read_table
from core.search_tokens import CJK_RUN, WORD, cjk_tokens, normalise, pinyin_tokens

from .models import Customer, OwnerHistory
from .services import _BRACKETS, _SUFFIXES, customer_service, next_codes

BATCH = 5000  # rows per transaction when writing (one progress update each)
PROGRESS_EVERY = 5000  # rows between progress updates while checking
WRITERS = 3  # database connections writing batches side by side (PostgreSQL)


class CustomerImportForm(ImportUploadForm):
    target = forms.ChoiceField(
        label=gettext_lazy("Import into"),
        choices=[
            ("me", gettext_lazy("My customers")),
            ("owner", gettext_lazy("A chosen owner")),
            ("pool", gettext_lazy("The public pool")),
        ],
        initial="me",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    owner = forms.ModelChoiceField(
        label=gettext_lazy("Owner"),
        required=False,
        queryset=get_user_model().objects.filter(is_active=True),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, has_key=True, **kwargs)
        self.user = user
        if user is None or not user.has_perm("customers.assign_customer"):
            self.fields["target"].choices = [c for c in self.fields["target"].choices if c[0] != "owner"]
            del self.fields["owner"]

    def clean(self):
        data = super().clean()
        if data.get("target") == "owner" and not data.get("owner"):
            self.add_error("owner", _("Choose the owner of the imported customers."))
        if (
            data.get("duplicate_strategy") == "create"
            and self.user
            and not self.user.has_perm("customers.save_duplicate_customer")
        ):
            self.add_error("duplicate_strategy", _("You may not create duplicate customers."))
        return data

    def import_options(self):
        owner = self.cleaned_data.get("owner")
        return {
            "duplicate_strategy": self.cleaned_data.get("duplicate_strategy", "skip"),
            "target": self.cleaned_data.get("target", "me"),
            "owner": owner.pk if owner else None,
        }


# --- lookups, name keys, search tokens ---------------------------------------------------------
class _Lookups:
    """Cell text → ids for dictionary and region columns, loaded once per import."""

    def __init__(self):
        self.dicts = {}
        for item in DictItem.objects.filter(enabled=True).select_related("type"):
            table = self.dicts.setdefault(item.type.code, {})
            for key in (item.code, item.label_zh, item.label_en):
                table.setdefault(key.strip().lower(), item.pk)
        self.regions = {}
        for pk, level, name, name_en, parent in Region.objects.values_list(
            "pk", "level", "name", "name_en", "parent_id"
        ):
            for key in {name, name_en, name.rstrip("省市区县"), name.removesuffix("自治区")} - {""}:
                self.regions.setdefault((level, parent if level > 1 else None, key.lower()), pk)

    def dict_item(self, type_code, text):
        return self.dicts.get(type_code, {}).get(text.strip().lower())

    def region(self, level, parent, text):
        key = text.strip().lower()
        return self.regions.get((level, parent if level > 1 else None, key)) or self.regions.get(
            (level, parent if level > 1 else None, key.rstrip("省市区县"))
        )


_SUFFIX_KEYS = tuple(_BRACKETS.sub("", suffix) for suffix in _SUFFIXES)


def name_key(name):
    """services.normalise_name() with its suffix keys computed once, not per name and pass.

    Same steps in the same order (a test holds them equal); at 100,000 rows this saves ~3 s.
    """
    text = unicodedata.normalize("NFKC", name or "").lower().strip()
    text = text.replace("co., ltd", "coltd").replace("co.,ltd", "coltd")
    text = _BRACKETS.sub("", text)
    changed = True
    while changed and text.endswith(_SUFFIX_KEYS):
        changed = False
        for key in _SUFFIX_KEYS:
            if text.endswith(key) and len(text) > len(key):
                text = text[: -len(key)]
                changed = True
    return text[:120]


class SearchTokens:
    """core.search_tokens.make_tokens() for many rows, with its pieces memoised.

    make_tokens() is a union of per-text pieces: the CJK unigrams/bigrams of each CJK run and
    the pinyin of each name's CJK characters. Imported names share most of them (城市, 科技,
    有限公司…), so each piece is computed once per import. The result is the same string
    (a test holds them equal).
    """

    MAX_CACHED = 50_000  # pinyin entries; unique names would otherwise only grow the cache

    def __init__(self):
        self.runs = {}
        self.pinyin = {}

    def _add(self, text, tokens):
        text = normalise(text)
        runs = CJK_RUN.findall(text)
        for run in runs:
            pieces = self.runs.get(run)
            if pieces is None:
                pieces = self.runs[run] = frozenset(cjk_tokens(run))
            tokens |= pieces
        tokens.update(WORD.findall(text))
        return runs

    def make(self, *texts, names=()):
        tokens = set()
        for text in texts:
            if text:
                self._add(text, tokens)
        for name in names:
            if not name:
                continue
            chars = "".join(self._add(name, tokens))
            if chars:
                pieces = self.pinyin.get(chars)
                if pieces is None:
                    if len(self.pinyin) >= self.MAX_CACHED:
                        self.pinyin.clear()
                    pieces = self.pinyin[chars] = frozenset(pinyin_tokens(chars, surname=False))
                tokens |= pieces
        tokens.discard("")
        return " ".join(sorted(tokens))


def _email_ok(validator, value):
    """EmailValidator.__call__ with the (slow) domain check memoised per domain. Only says yes
    when Django's validator would; a no sends the cell through the full check for its message."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user_part, domain_part = value.rsplit("@", 1)
    if not validator.user_regex.match(user_part):
        return False
    cache = _email_ok.domains
    ok = cache.get(domain_part)
    if ok is None:
        if len(cache) > 10_000:
            cache.clear()
        ok = cache[domain_part] = domain_part in validator.domain_allowlist or bool(
            validator.validate_domain_part(domain_part)
        )
    return ok


_email_ok.domains = {}


# --- per-column checks ---------------------------------------------------------------------------
class _Column:
    """How one mapped column is checked: compiled once from the form field and the model field."""

    def __init__(self, spec, name, index, form):
        self.name = name
        self.index = index
        self.label = spec.header_label(name)
        self.field = Customer._meta.get_field(name)
        self.attname = self.field.attname
        self.form_field = form.fields.get(name)
        self.relation = self.field.is_relation
        if self.relation:
            limit = self.field.get_limit_choices_to()
            self.dict_type = limit["type__code"] if self.field.related_model is DictItem else None
            self.level = None if self.dict_type else limit["level"]
            self.parent = {2: "province_id", 3: "city_id"}.get(self.level)
            return
        ff, mf = self.form_field, self.field
        # The fast path covers plain text columns: the form field only strips and checks
        # length/validators, the model field adds its validators. Anything else (URLs get a
        # scheme added, choices, dates…) always goes through the full form + model check.
        self.simple = (
            ff is not None
            and type(ff) in (forms.CharField, forms.EmailField)
            and isinstance(mf, models.CharField | models.TextField)
            and not mf.choices
        )
        self.required = ff.required if ff is not None else not mf.blank
        self.empty_ok = self.simple and not self.required and mf.blank
        self.empty_value = ff.empty_value if self.simple else ""
        limits, checks = [], []
        for v in [*(ff.validators if ff is not None else []), *mf.validators]:
            if isinstance(v, dj_validators.MaxLengthValidator):
                limits.append(v.limit_value)
            elif isinstance(v, dj_validators.ProhibitNullCharactersValidator):
                continue  # checked inline
            elif any(v is c for c in checks):
                continue  # the form and the model share validate_email
            else:
                checks.append(v)
        self.max_length = min(limits) if limits else None
        self.emails = [
            v for v in checks if isinstance(v, dj_validators.EmailValidator) and type(v) is dj_validators.EmailValidator
        ]
        self.checks = [v for v in checks if not any(v is e for e in self.emails)]

    def fast_ok(self, text):
        if self.max_length is not None and len(text) > self.max_length:
            return False
        if "\x00" in text:
            return False
        for v in self.emails:
            if not _email_ok(v, text):
                return False
        for v in self.checks:
            try:
                v(text)
            except ValidationError:
                return False
        return True

    def full_check(self, text):
        """(value, messages) exactly as the form (field, then model validation) gives them."""
        if self.form_field is None:
            try:
                return self.field.clean(text, None), []
            except ValidationError as e:
                return None, e.messages
        try:
            value = self.form_field.clean(text)
        except ValidationError as e:
            return None, e.messages
        if self.field.blank and value in self.field.empty_values:
            return value, []  # the model skips validation of blank values (Model.clean_fields)
        try:
            return self.field.clean(value, None), []
        except ValidationError as e:
            return None, e.messages


class RowChecker:
    """Checks one row against the customer form's rules: (data, [(column label, message)])."""

    def __init__(self, spec, mapping, user):
        from .forms import CustomerForm

        form = CustomerForm(user=user)
        self.columns = [_Column(spec, name, index, form) for name, index in mapping.items()]
        # Regions depend on their parent: province before city before district.
        self.columns.sort(key=lambda c: c.relation and c.level or 0)
        self.lookups = _Lookups()
        self.name_label = spec.header_label("name")
        self.name_required = form.fields["name"].error_messages["required"]

    def check(self, row):
        data, errors = {}, []
        width = len(row)
        for col in self.columns:
            text = row[col.index].strip() if col.index < width else ""
            if col.relation:
                if not text:
                    continue
                if col.dict_type:
                    value = self.lookups.dict_item(col.dict_type, text)
                else:
                    value = self.lookups.region(col.level, data.get(col.parent), text)
                if value is None:
                    errors.append((col.label, _("Unknown value “%(value)s”.") % {"value": text}))
                else:
                    data[col.attname] = value
            elif col.simple and (col.empty_ok if not text else col.fast_ok(text)):
                data[col.name] = text or col.empty_value
            else:
                value, messages = col.full_check(text)
                if messages:
                    errors.extend((col.label, str(m)) for m in messages)
                else:
                    data[col.name] = value
        if not data.get("name") and not any(c == self.name_label for c, _m in errors):
            errors.append((self.name_label, str(self.name_required)))
        return data, errors


# --- duplicates ----------------------------------------------------------------------------------
def _dup_keys(data, labels):
    """(key, column label) a row is recognised by: normalised name, phone/mobile, e-mail."""
    keys = []
    if data.get("name_key"):
        keys.append((("name", data["name_key"]), labels["name"]))
    for field in ("mobile", "phone"):
        if data.get(field):
            keys.append((("tel", data[field]), labels[field]))
    if data.get("email"):
        keys.append((("email", data["email"].lower()), labels["email"]))
    return keys


def _chunks(values, size):
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _lookup(column, values):
    """Customers whose `column` is one of `values`: [(value, pk, code, name)] of the live ones,
    in batches through the column's index."""
    result = []
    if connection.vendor == "postgresql":
        # One text parameter split by the server: quoting thousands of array elements costs
        # more in Python than the lookup itself. No value here holds a line break (names keys
        # drop whitespace, phones and e-mails are validated); any that did takes the array path.
        # The lookups are index probes by design: with stale statistics (or a small table) the
        # planner may pick a sequential scan per batch, which is 10-50 times slower here.
        sql = (
            f"SELECT {connection.ops.quote_name(column)}, id, code, name, deleted_at "
            f"FROM {connection.ops.quote_name(Customer._meta.db_table)} "
            f"WHERE {connection.ops.quote_name(column)} = ANY(%s)"
        )
        plain = sorted(v for v in values if "\n" not in v)
        odd = [v for v in values if "\n" in v]
        with transaction.atomic(), connection.cursor() as cursor:
            # Transaction-local, and put back afterwards: inside a caller's transaction the
            # savepoint's setting would otherwise last until that transaction ends (on an error
            # the savepoint's rollback undoes it).
            cursor.execute("SELECT current_setting('enable_seqscan')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
            for chunk in _chunks(plain, 20000):
                cursor.execute(sql.replace("ANY(%s)", "ANY(string_to_array(%s, E'\\n'))"), ["\n".join(chunk)])
                result.extend(row[:4] for row in cursor.fetchall() if row[4] is None)
            for chunk in _chunks(odd, 1000):
                cursor.execute(sql, [chunk])
                result.extend(row[:4] for row in cursor.fetchall() if row[4] is None)
            cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])
        result.sort(key=lambda r: r[1])
        return result
    qs = Customer.objects.order_by("pk")
    for chunk in _chunks(sorted(values), 500):
        result.extend(qs.filter(**{f"{column}__in": chunk}).values_list(column, "pk", "code", "name"))
    result.sort(key=lambda r: r[1])
    return result


def existing_matches(rows):
    """{key: (pk, code, name)} of live customers matching the rows' duplicate keys (as
    services.find_duplicates: same name key, phone or mobile in either column, e-mail)."""
    names, tels, emails = set(), set(), set()
    for _number, data in rows:
        if data.get("name_key"):
            names.add(data["name_key"])
        for field in ("mobile", "phone"):
            if data.get(field):
                tels.add(data[field])
        if data.get("email"):
            # The index serves exact matches: the address as written and in lower case.
            emails.update((data["email"], data["email"].lower()))
    found = {}
    for value, *match in _lookup("name_key", names):
        found.setdefault(("name", value), tuple(match))
    for column in ("mobile", "phone"):
        for value, *match in _lookup(column, tels):
            found.setdefault(("tel", value), tuple(match))
    for value, *match in _lookup("email", emails):
        found.setdefault(("email", value.lower()), tuple(match))
    return found


# --- the runner ----------------------------------------------------------------------------------
class Planner:
    """Decides the valid rows chunk by chunk, in file order: a row sharing a duplicate key with
    an earlier row of the file is the same customer as that (first) row; a first row is looked
    up among existing customers. Then the strategy: skip, update or create.

    Decisions never depend on later rows, so the commit can write the created customers of one
    chunk while the next is checked; only "update" holds them to the end (a later row of the
    file may still change a customer an earlier row creates).
    """

    def __init__(self, strategy, user, labels):
        self.strategy, self.user, self.labels = strategy, user, labels
        self.strategy_label = dict(ImportUploadForm.STRATEGIES)[strategy]
        self.first = {}  # duplicate key → the first row of the file that has it
        self.target = {}  # first row → ("create", entry) | ("update", pk) | ("skip", None) | ("error", message)
        self.creates = []  # [[row numbers], data] not yet taken by the writer
        self.updates = {}  # pk → [[row numbers], data]
        self.skipped = self.valid_rows = 0
        self.report = []

    def note(self, number, column, message):
        self.report.append({"row": number, "column": column, "message": str(message)})

    def take_creates(self, final=False):
        """Created customers that no later row can change any more."""
        if self.strategy == "update" and not final:
            return []
        taken, self.creates = self.creates, []
        return taken

    def add(self, checked):
        same_as, keys_of, roots = {}, {}, []
        for number, data in checked:
            keys = keys_of[number] = _dup_keys(data, self.labels)
            hits = [(self.first[key], label) for key, label in keys if key in self.first]
            if hits:
                root, label = min(hits, key=lambda h: h[0])
                same_as[number] = (root, label)
            else:
                root = number
                roots.append((number, data))
            for key, _label in keys:
                self.first.setdefault(key, root)
        existing = existing_matches(roots) if roots and self.strategy != "create" else {}
        changeable = set()
        if self.strategy == "update" and existing:
            for chunk in _chunks({m[0] for m in existing.values()}, 1000):
                changeable.update(
                    Customer.objects.visible_to(self.user, "change").filter(pk__in=chunk).values_list("pk", flat=True)
                )
        for number, data in checked:
            if number in same_as:
                self._repeated(number, data, *same_as[number])
                continue
            match = next((existing[key] for key, _label in keys_of[number] if key in existing), None)
            if match is None or self.strategy == "create":
                entry = [[number], data]
                self.creates.append(entry)
                self.valid_rows += 1
                # Only "update" merges later rows into the entry: otherwise do not keep it (nor
                # its data) alive after it is written.
                self.target[number] = ("create", entry if self.strategy == "update" else None)
            elif self.strategy == "skip":
                self.skipped += 1
                self.note(
                    number,
                    "",
                    _("Duplicate found: %(name)s (%(code)s) — skipped.") % {"name": match[2], "code": match[1]},
                )
                self.target[number] = ("skip", None)
            elif match[0] not in changeable:
                message = _("You may not change the existing record.")
                self.note(number, "", message)
                self.target[number] = ("error", message)
            else:
                self._update(match[0], number, data)
                self.target[number] = ("update", match[0])

    def _repeated(self, number, data, root, label):
        kind, ref = self.target[root]
        same = _("Same customer as row %(row)s in this file.") % {"row": root}
        self.note(number, label, f"{same} — {self.strategy_label}")
        if self.strategy == "skip" or kind == "skip":
            self.skipped += 1
        elif kind == "error":
            self.note(number, "", ref)
        elif self.strategy == "create":
            self.creates.append([[number], data])
            self.valid_rows += 1
        elif kind == "create":  # update: the later row updates the customer the first one creates
            ref[0].append(number)
            _merge(ref[1], data)
            self.valid_rows += 1
        else:
            self._update(ref, number, data)

    def _update(self, pk, number, data):
        if pk in self.updates:  # another row of the file matched the same customer
            rows, merged = self.updates[pk]
            rows.append(number)
            _merge(merged, data)
        else:
            self.updates[pk] = [[number], dict(data)]
        self.valid_rows += 1


def _merge(into, data):
    """A later row updates the values of an earlier one (as an update of the customer would)."""
    into.update(data)
    into["name_key"] = name_key(into.get("name", ""))


class _Progress:
    def __init__(self, job, every):
        self.job, self.every, self.next = job, every, every

    def set(self, processed, **counts):
        self.job.processed_rows = processed
        if processed >= self.next or counts:
            self.next = processed + self.every
            type(self.job).objects.filter(pk=self.job.pk).update(processed_rows=processed, **counts)


def run_customer_import(job, *, user, commit):
    """Check (commit=False) or import (commit=True) the customers of `job`; record progress."""
    try:
        return _run(job, user=user, commit=commit)
    except Exception:
        mark_failed(job, commit=commit)
        raise


def ImportSpec_for_customers():  # noqa: N802 - reads like the class it returns
    from core.registry import get_config

    return ImportSpec(get_config(Customer))


def _run(job, *, user, commit):
    started = time.monotonic()
    spec = ImportSpec_for_customers()
    options = job.options or {}
    strategy = options.get("duplicate_strategy", "skip")
    if strategy not in ("skip", "update", "create"):
        strategy = "skip"
    target = options.get("target", "me")
    owner = None
    if target == "me":
        owner = user
    elif target == "owner" and options.get("owner"):
        owner = get_user_model().objects.filter(pk=options["owner"], is_active=True).first() or user
    job.status = job.Status.IMPORTING if commit else job.Status.CHECKING
    job.processed_rows = job.created_rows = job.updated_rows = job.skipped_rows = job.valid_rows = 0
    job.errors = []
    job.message = ""
    job.save()
    try:
        with job.file.open("rb") as fh:
            header, rows = read_table(fh, job.original_name)
        mapping = spec.map_header(header)
    except ValidationError as e:
        job.status, job.message, job.finished_at = job.Status.FAILED, " ".join(e.messages), timezone.now()
        job.save()
        return job
    job.total_rows = len(rows)
    type(job).objects.filter(pk=job.pk).update(total_rows=job.total_rows)
    checker = RowChecker(spec, mapping, user)
    labels = {name: spec.header_label(name) for name in ("name", "mobile", "phone", "email")}
    planner = Planner(strategy, user, labels)
    progress = _Progress(job, PROGRESS_EVERY)
    writer, planned = None, 0

    def written():
        # Rows are done when checked, except those still to be written.
        waiting = writer.pending_rows + sum(len(r) for r, _d in planner.creates)
        waiting += sum(len(r) for r, _d in planner.updates.values())
        progress.set(planned - waiting, created_rows=job.created_rows)

    if commit:
        writer = _CreateWriter(job, user, owner, checker, len(rows), on_written=written)
    bad = []
    try:
        for start in range(0, len(rows), BATCH):
            checked = []
            for i in range(start, min(start + BATCH, len(rows))):
                number, row = rows[i]
                rows[i] = None  # checked rows are not needed any more
                data, row_errors = checker.check(row)
                if row_errors:
                    bad.extend({"row": number, "column": c, "message": m} for c, m in row_errors)
                else:
                    data["name_key"] = name_key(data.get("name", ""))
                    checked.append((number, data))
            planner.add(checked)
            planned = min(start + BATCH, len(rows))
            if writer is None:
                progress.set(planned)
            else:
                writer.submit(planner.take_creates())
                writer.collect()
        del rows
        job.valid_rows, job.skipped_rows = planner.valid_rows, planner.skipped
        errors = bad + planner.report
        if writer is not None:
            writer.submit(planner.take_creates(final=True))
            writer.close()
            # Rows of the file merged into a created customer count as updates of it.
            job.updated_rows += writer.merged_rows
            _write_updates(job, user, planner.updates, errors, progress, job.total_rows - job.valid_rows)
            audit_log(
                actor=user,
                action="import",
                model=Customer,
                object_repr=job.original_name,
                message=f"{job.created_rows} created, {job.updated_rows} updated, {job.skipped_rows} skipped",
            )
    finally:
        if writer is not None:
            writer.close(abort=True)
    job.processed_rows = job.total_rows
    errors.sort(key=lambda e: e["row"])
    job.errors = errors[:MAX_ERRORS_STORED]
    job.status = job.Status.DONE if commit else job.Status.CHECKED
    job.message = _("%(rows)s rows in %(seconds).1f s") % {
        "rows": job.total_rows,
        "seconds": time.monotonic() - started,
    }
    job.finished_at = timezone.now()
    job.save()
    return job


CREATE_COLUMNS = [
    "code",
    "name_key",
    "search_text",
    "created_by_id",
    "created_at",
    "owner_id",
    "department_id",
    "in_pool",
    "pool_entered_at",
    "pool_reason",
    "review_status",
]
AUDIT_COLUMNS = [
    "actor_id",
    "actor_repr",
    "ip",
    "source",
    "action",
    "content_type_id",
    "object_id",
    "object_repr",
    "changes",
    "message",
]
HISTORY_COLUMNS = ["customer_id", "action", "from_owner_id", "to_owner_id", "reason", "actor_id"]


class _CreateWriter:
    """Writes created customers in batches of BATCH: COPY of the customers, their owner history
    and one audit entry each (as core.audit.audit_bulk writes them), one transaction per batch.

    On PostgreSQL (outside a caller's transaction) WRITERS threads, each with its own
    connection, write batches side by side while the main thread checks the next rows: the
    database does most of an import's work (40-odd indexes, the search vector and its index,
    11 foreign-key checks per customer) in one process per connection, so several connections
    use all cores of a small server. Three measured best on two cores (each is often waiting
    for the client or for its commit): commit ~19-22 s against ~33 s with one.
    """

    def __init__(self, job, user, owner, checker, max_rows, on_written=lambda: None):
        self.job = job
        self.on_written = on_written  # called in the caller's thread after each written batch
        self.user = user
        self.max_rows = max_rows
        self.codes = None  # allocated on the first batch, before anything is written
        self.used_codes = 0
        self.pending = []  # entries waiting for a full batch
        self.pending_rows = 0  # rows submitted and not yet written
        self.merged_rows = 0
        self.tokens = SearchTokens()
        self.imported = sorted(c.attname if c.relation else c.name for c in checker.columns)
        self.defaults = {name: Customer._meta.get_field(name).get_default() for name in self.imported}
        self.columns = [*CREATE_COLUMNS, *self.imported]
        now = timezone.now()
        pending = get_parameter("data_review_enabled") and not user.has_perm("customers.review_customer")
        self.fixed = (
            user.pk,
            now,
            owner.pk if owner is not None else None,
            owner.department_id if owner is not None else None,
            owner is None,
            now if owner is None else None,
            _("Imported into the pool") if owner is None else "",
            Customer.Review.PENDING if pending else Customer.Review.APPROVED,
        )
        known = user is not None and user.is_authenticated
        # Read here: threads do not see the job's context (client IP, source) or language.
        self.audit_fixed = (
            user.pk if known else None,
            str(user) if known else "",
            context.client_ip(),
            context.source(),
        )
        self.content_type = ContentType.objects.get_for_model(Customer).pk
        self.audit_changes = {"import": [None, job.original_name]}
        self.audit_message = f"import #{job.pk}"[:1000]
        self.reason = job.original_name[:200]
        self.parallel = WRITERS > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
        self.todo, self.done = queue.SimpleQueue(), queue.SimpleQueue()
        self.stop = threading.Event()
        self.threads = []
        self.error = None
        if self.parallel:
            self.threads = [threading.Thread(target=self._worker, daemon=True) for _ in range(WRITERS)]
            for thread in self.threads:
                thread.start()
        self.running = len(self.threads)

    def submit(self, entries, flush=False):
        """Queue created customers; full batches are written (or handed to the writers)."""
        self.pending.extend(entries)
        self.pending_rows += sum(len(rows) for rows, _d in entries)
        while len(self.pending) >= BATCH or (flush and self.pending):
            batch, self.pending = self.pending[:BATCH], self.pending[BATCH:]
            if self.codes is None:
                self.codes = next_codes(get_parameter("customer_code_pattern"), self.max_rows)
            codes = self.codes[self.used_codes : self.used_codes + len(batch)]
            self.used_codes += len(batch)
            if self.parallel:
                self.collect()
                self.todo.put((batch, codes))
            else:
                self._finished(self._write(batch, codes))

    def collect(self, wait=False):
        """Count the batches the writers have finished (all of them with `wait`); raise the
        first error of a writer."""
        while self.running if wait else True:
            try:
                kind, value = self.done.get() if wait else self.done.get_nowait()
            except queue.Empty:
                break
            if kind == "ok":
                self._finished(value)
            elif kind == "exit":
                self.running -= 1
            elif self.error is None:
                self.error = value
        if self.error is not None:
            self.stop.set()
            raise self.error

    def close(self, abort=False):
        """Write what is left and wait for the writers (abort: only wait for the batches they
        are writing)."""
        if abort:
            self.stop.set()
        else:
            self.submit([], flush=True)
        for _thread in self.threads:
            self.todo.put(None)
        try:
            self.collect(wait=True)
        finally:
            for thread in self.threads:
                thread.join()
            self.threads = []

    def _finished(self, batch):
        rows = sum(len(r) for r, _d in batch)
        self.pending_rows -= rows
        self.merged_rows += rows - len(batch)
        self.job.created_rows += len(batch)
        self.on_written()

    def _worker(self):
        try:
            while not self.stop.is_set():
                item = self.todo.get()
                if item is None or self.stop.is_set():
                    break
                self.done.put(("ok", self._write(*item)))
        except BaseException as e:  # handed to the main thread
            self.stop.set()
            self.done.put(("error", e))
        finally:
            try:
                connections.close_all()  # this thread's connections only
            finally:
                self.done.put(("exit", None))  # always: the main thread waits for it

    def _write(self, batch, codes):
        tokens, fixed, imported, defaults = self.tokens, self.fixed, self.imported, self.defaults
        chunk = [data for _rows, data in batch]

        def customer_rows():
            # A generator: COPY sends each row as it is made, the server indexes while we tokenise.
            for data, code in zip(chunk, codes, strict=True):
                get = data.get
                search = tokens.make(
                    code,
                    get("phone", ""),
                    get("mobile", ""),
                    get("email", ""),
                    names=[data["name"], get("short_name", "")],
                )
                yield (code, data["name_key"], search, *fixed, *[get(k, defaults[k]) for k in imported])

        audit = (*self.audit_fixed, "create", self.content_type)
        with transaction.atomic():
            ids = insert_rows(Customer, self.columns, customer_rows(), count=len(chunk))
            insert_rows(
                OwnerHistory,
                HISTORY_COLUMNS,
                [(pk, OwnerHistory.Action.CREATE, None, fixed[2], self.reason, self.user.pk) for pk in ids],
                returning=False,
            )
            insert_rows(
                AuditEntry,
                AUDIT_COLUMNS,
                [
                    (*audit, str(pk), data["name"][:200], self.audit_changes, self.audit_message)
                    for pk, data in zip(ids, chunk, strict=True)
                ],
                returning=False,
            )
        return batch


def _write_updates(job, user, updates, errors, progress, done):
    related = {}

    def related_object(field, pk):
        key = (field.related_model, pk)
        if key not in related:
            related[key] = field.related_model._base_manager.get(pk=pk)
        return related[key]

    items = list(updates.items())
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        instances = Customer.objects.visible_to(user, "change").in_bulk([pk for pk, _entry in chunk])
        for pk, (numbers, data) in chunk:
            instance = instances.get(pk)
            if instance is None:
                errors.extend(
                    {"row": n, "column": "", "message": _("You may not change the existing record.")} for n in numbers
                )
                continue
            fields = {}
            for key, value in data.items():
                if key == "name_key":
                    continue
                field = Customer._meta.get_field(key)
                if field.is_relation:
                    fields[field.name] = related_object(field, value) if value is not None else None
                else:
                    fields[field.name] = value
            try:
                with transaction.atomic():
                    customer_service.update(actor=user, instance=instance, data=fields, confirm_duplicate=True)
                job.updated_rows += len(numbers)
            except ValidationError as e:
                errors.extend({"row": numbers[0], "column": "", "message": m} for m in e.messages)
        progress.set(done + job.created_rows + job.updated_rows, updated_rows=job.updated_rows)
