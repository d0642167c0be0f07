"""Duplicates inside the file and against existing customers (name key, phone/mobile, e-mail),
and the Planner that applies the chosen strategy (skip, update, create) chunk by chunk."""

from django.db import connection, transaction
from django.db.models.functions import Upper
from django.utils.translation import gettext as _

from core.forms import ImportUploadForm

from ..models import Customer
from ..selectors import duplicate_phrases_by_pk
from .checking import name_key


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


def _lookup(column, values, upper=False):
    """Customers whose `column` is one of `values`: [(value, pk, code, name)] of the live ones,
    in batches through the column's index. With `upper`, compared as UPPER(column) (through
    the index on that expression) against the values in upper case; the value returned is
    upper case then."""
    result = []
    if upper:
        values = {v.upper() for v in values}
    if connection.vendor == "postgresql":
        # One text parameter split by the server: quoting thousands of array elements costs
        # more in Python than the lookup itself. No value here holds a line break (names keys
        # drop whitespace, phones and e-mails are validated); any that did takes the array path.
        # The lookups are index probes by design: with stale statistics (or a small table) the
        # planner may pick a sequential scan per batch, which is 10-50 times slower here.
        expression = f"UPPER({connection.ops.quote_name(column)})" if upper else connection.ops.quote_name(column)
        sql = (
            f"SELECT {expression}, id, code, name, deleted_at "
            f"FROM {connection.ops.quote_name(Customer._meta.db_table)} "
            f"WHERE {expression} = ANY(%s)"
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
    if upper:
        qs, column = qs.annotate(upper_value=Upper(column)), "upper_value"
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
            emails.add(data["email"])
    found = {}
    for value, *match in _lookup("name_key", names):
        found.setdefault(("name", value), tuple(match))
    for column in ("mobile", "phone"):
        for value, *match in _lookup(column, tels):
            found.setdefault(("tel", value), tuple(match))
    for value, *match in _lookup("email", emails, upper=True):  # any case, as find_duplicates
        found.setdefault(("email", value.lower()), tuple(match))
    return found


# --- the planner ---------------------------------------------------------------------------------
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
        matched = {
            number: next((existing[key] for key, _label in keys_of[number] if key in existing), None)
            for number, _data in checked
            if number not in same_as
        }
        # What the report may say of each customer skipped: its name and code only when the
        # importing user may open it, else whose it is (CUS-15).
        phrases = (
            duplicate_phrases_by_pk(self.user, {m[0] for m in matched.values() if m is not None})
            if self.strategy == "skip"
            else {}
        )
        for number, data in checked:
            if number in same_as:
                self._repeated(number, data, *same_as[number])
                continue
            match = matched[number]
            if match is None or self.strategy == "create":
                entry = [[number], data]
                self.creates.append(entry)
                self.valid_rows += 1
                # Only "update" merges later rows into the entry: otherwise do not keep it (nor
                # its data) alive after it is written.
                self.target[number] = ("create", entry if self.strategy == "update" else None)
            elif self.strategy == "skip":
                self.skipped += 1
                self.note(number, "", _("Duplicate found: %(customer)s — skipped.") % {"customer": phrases[match[0]]})
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
