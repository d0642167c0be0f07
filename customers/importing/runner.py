"""The import job: read the file, check rows in chunks, plan, write; progress and the report."""

import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.importing import MAX_ERRORS_STORED, ImportSpec, marks_failure, read_table

from ..models import Customer
from . import writing
from .checking import RowChecker, name_key
from .duplicates import Planner
from .writing import _CreateWriter, _write_updates

PROGRESS_EVERY = 5000  # rows between progress updates while checking
# Rows are checked in chunks of writing.BATCH, read through the module (a patch of it there
# changes both the chunks and the writer's batches).


class _Progress:
    def __init__(self, job, every):
        self.job, self.every, self.next = job, every, every

    def set(self, processed, **counts):
        self.job.processed_rows = processed
        if processed >= self.next or counts:
            self.next = processed + self.every
            type(self.job).objects.filter(pk=self.job.pk).update(processed_rows=processed, **counts)


def ImportSpec_for_customers():  # noqa: N802 - reads like the class it returns
    from core.registry import get_config

    return ImportSpec(get_config(Customer))


@marks_failure
def run_customer_import(job, *, user, commit):
    """Check (commit=False) or import (commit=True) the customers of `job`; record progress."""
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
        for start in range(0, len(rows), writing.BATCH):
            checked = []
            for i in range(start, min(start + writing.BATCH, len(rows))):
                number, row = rows[i]
                rows[i] = None  # checked rows are not needed any more
                data, row_errors = checker.check(row)
                if row_errors:
                    bad.extend({"row": number, "column": c, "message": m} for c, m in row_errors)
                else:
                    data["name_key"] = name_key(data.get("name", ""))
                    checked.append((number, data))
            planner.add(checked)
            planned = min(start + writing.BATCH, len(rows))
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
