"""Writing an import: created customers by COPY in batches (parallel writers on PostgreSQL),
updates of existing customers through the service."""

import queue
import threading

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEntry
from basedata.parameters import get_parameter
from core import context
from core.bulk import insert_rows

from ..models import Customer, OwnerHistory
from ..services import customer_service, next_codes
from .checking import SearchTokens

BATCH = 5000  # rows per transaction when writing (one progress update each)
WRITERS = 3  # database connections writing batches side by side (PostgreSQL)

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
