"""Import engine: upload checks, reading XLSX/CSV, per-row validation (dry run) and commit.

A module declares `import_fields` (and optionally `import_key`) on its ModelConfig; rows are
validated with the model's form so the rules match the UI, and written through its service.
"""

import copy
import functools
import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .audit import audit_log
from .spreadsheet import read_header, read_table  # noqa: F401 - the import API reads files here

XLSX_MAGIC = b"PK\x03\x04"
TRUE_WORDS = {"1", "true", "yes", "y", "是", "✓"}
BOOLEAN_CHOICES = ["是", "否", "yes", "no"]
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
MAX_ERRORS_STORED = 5000


def validate_upload(upload):
    name = (upload.name or "").lower()
    size = upload.size or 0
    if size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > settings.CRM_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": round(settings.CRM_IMPORT_MAX_BYTES / 1048576, 1)},
            code="too_large",
        )
    head = upload.read(8)
    upload.seek(0)
    if name.endswith(".xlsx"):
        if not head.startswith(XLSX_MAGIC):
            raise ValidationError(_("The file is named .xlsx but is not an Excel workbook."), code="bad_type")
    elif name.endswith(".xls"):
        if not head.startswith(XLS_MAGIC):
            raise ValidationError(_("The file is named .xls but is not an Excel workbook."), code="bad_type")
    elif name.endswith(".csv"):
        if head.startswith(XLSX_MAGIC) or head.startswith(XLS_MAGIC) or b"\x00" in head:
            raise ValidationError(_("The file is named .csv but is not a text file."), code="bad_type")
    else:
        raise ValidationError(_("Only .xlsx, .xls and .csv files can be imported."), code="bad_type")


class ImportSpec:
    """Maps sheet columns to model fields and turns cell text into form data."""

    def __init__(self, config):
        self.config = config
        self.model = config.model
        self.fields = list(config.import_fields or [])

    def labels(self, name):
        field = self.model._meta.get_field(name)
        labels = {name.lower()}
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                labels.add(str(field.verbose_name).strip().lower())
        return labels

    def header_label(self, name):
        return str(self.model._meta.get_field(name).verbose_name)

    def required(self, name):
        """A column that must be present and filled (no blank allowed and no default to fall back on)."""
        field = self.model._meta.get_field(name)
        return not field.blank and not field.has_default()

    def unique_sets(self):
        """Field tuples that must be unique and are all imported: checked across the rows of one file."""
        opts = self.model._meta
        candidates = [(f.name,) for f in opts.concrete_fields if f.unique and not f.primary_key]
        candidates += [tuple(u) for u in opts.unique_together]
        candidates += [tuple(c.fields) for c in opts.total_unique_constraints]
        result = []
        for names in candidates:
            if names and all(n in self.fields for n in names) and names not in result:
                result.append(names)
        return result

    def map_header(self, header):
        """Column index per field; raises listing unknown and missing columns."""
        lookup = {}
        for name in self.fields:
            for label in self.labels(name):
                lookup[label] = name
        mapping, unknown = {}, []
        for index, title in enumerate(header):
            if not title:
                continue
            key = title.strip().lower().rstrip("*").strip()
            if key in lookup:
                mapping[lookup[key]] = index
            else:
                unknown.append(title)
        errors = []
        if unknown:
            errors.append(_("Unknown columns: %(cols)s.") % {"cols": ", ".join(unknown)})
        required = [n for n in self.fields if self.required(n) and n not in mapping]
        if required:
            errors.append(
                _("Missing required columns: %(cols)s.") % {"cols": ", ".join(self.header_label(n) for n in required)}
            )
        if errors:
            raise ValidationError(" ".join(errors), code="columns")
        return mapping

    def to_form_value(self, name, text):
        field = self.model._meta.get_field(name)
        if text == "":
            return ""
        if field.is_relation:
            return self.lookup_related(field, text)
        if field.choices:
            for value, label in field.flatchoices:
                if text in (str(value), str(label)):
                    return value
                for lang in ("zh-hans", "en"):
                    with translation.override(lang):
                        if text == str(label):
                            return value
            return text
        if isinstance(field, models.BooleanField):
            return "on" if text.lower() in TRUE_WORDS else ""
        return text

    def lookup_related(self, field, text):
        # Rows name related records by code or name; the form then checks the permission.
        # Only among the field's allowed choices: "其他" is an item of many dictionaries, and
        # 北京市 is both a province and a city.
        model = field.related_model
        candidates = model._default_manager.all()
        limit = field.get_limit_choices_to()
        if limit:
            candidates = candidates.complex_filter(limit)
        for attr in ("code", "username", "name", "name_en", "label_zh", "label_en"):
            if any(f.name == attr for f in model._meta.concrete_fields):
                obj = candidates.filter(**{attr: text}).values_list("pk", flat=True).first()
                if obj is not None:
                    return obj
        return f"?{text}"  # the form then reports "select a valid choice"

    def complete(self, data, form_class, instance):
        """Give the form's fields that the import does not carry their stored value (update) or the
        model default (create): a missing checkbox would otherwise read as "unticked"."""
        names = {f.name for f in self.model._meta.get_fields()}
        for name in form_class.base_fields:
            if name in data or name not in names:
                continue
            field = self.model._meta.get_field(name)
            if isinstance(field, models.FileField):
                continue  # files are never imported; the form keeps the stored one
            if instance is not None:
                value = field.value_from_object(instance)
                if field.many_to_many:
                    value = [v.pk for v in value]
            elif field.has_default():
                value = field.get_default()
            else:
                continue
            if isinstance(field, models.BooleanField):
                value = "on" if value else ""
            data[name] = "" if value is None else value
        return data

    def row_data(self, mapping, row):
        """Form data of one row. A column left out of the file, or an empty cell of a field with a
        default, is not set here: `complete()` then keeps the stored value (update) or takes the
        default (create). An empty boolean cell means "no", as exports write it."""
        data = {}
        for name, index in mapping.items():
            text = row[index].strip() if index < len(row) else ""
            field = self.model._meta.get_field(name)
            if text == "" and field.has_default() and not isinstance(field, models.BooleanField):
                continue
            data[name] = self.to_form_value(name, text)
        return data


def _row_errors(form, spec, row_number, data):
    errors = []
    for name, messages in form.errors.items():
        column = spec.header_label(name) if name in spec.fields else ""
        value = data.get(name)
        if isinstance(value, str) and value.startswith("?") and spec.model._meta.get_field(name).is_relation:
            # lookup_related found nothing: name the value instead of Django's "select a valid choice".
            related = spec.model._meta.get_field(name).related_model._meta.verbose_name
            messages = [_("No %(model)s matches “%(value)s”.") % {"model": related, "value": value[1:]}]
        for message in messages:
            errors.append({"row": row_number, "column": column, "message": str(message)})
    return errors


def _unique_key(form, names):
    values = []
    for n in names:
        v = form.cleaned_data.get(n)
        if v is None or v == "":
            return None
        values.append(v.pk if isinstance(v, models.Model) else v)
    return tuple(values)


def _existing(spec, data):
    key = spec.config.import_key
    if not key or not data.get(key):
        return None
    return spec.model._default_manager.filter(**{key: data[key]}).first()


def _file_duplicate(form, unique_sets, seen, number):
    """(fields, first row) when a valid row repeats a unique value of an earlier row of the file."""
    keys = [(names, _unique_key(form, names)) for names in unique_sets]
    for names, value in keys:
        if value is not None and (names, value) in seen:
            return names, seen[(names, value)]
    for names, value in keys:
        if value is not None:
            seen[(names, value)] = number
    return None


def mark_failed(job, *, commit):
    """Never leave a job "running" after an unexpected error (its page would poll forever);
    the error itself is logged by huey."""
    type(job).objects.filter(pk=job.pk).update(
        status=job.Status.FAILED,
        message=_("The import stopped on an unexpected error after %(n)s rows. Rows before it were kept.")
        % {"n": job.processed_rows}
        if commit
        else _("The check stopped on an unexpected error after %(n)s rows.") % {"n": job.processed_rows},
        finished_at=timezone.now(),
    )


def marks_failure(run):
    """An import runner that marks its job failed (mark_failed) when it raises."""

    @functools.wraps(run)
    def runner(job, *, user, commit):
        try:
            return run(job, user=user, commit=commit)
        except Exception:
            mark_failed(job, commit=commit)
            raise

    return runner


@marks_failure
def run_import(job, *, user, commit):
    """Check (commit=False) or import (commit=True) every row of `job`; record progress."""
    from .registry import get_config

    config = get_config(job.model_label)
    spec = ImportSpec(config)
    strategy = job.options.get("duplicate_strategy", "skip")
    job.status = job.Status.IMPORTING if commit else job.Status.CHECKING
    job.processed_rows = job.created_rows = job.updated_rows = job.skipped_rows = job.valid_rows = 0
    job.errors = []
    job.save()
    try:
        with job.file.open("rb") as fh:
            header, rows = read_table(fh, job.original_name)
        mapping = spec.map_header(header)
    except ValidationError as e:
        job.status = job.Status.FAILED
        job.message = " ".join(e.messages)
        job.finished_at = timezone.now()
        job.save()
        return job
    job.total_rows = len(rows)
    errors, seen_keys, created = [], {}, []
    unique_sets, seen_unique = spec.unique_sets(), {}
    key = config.import_key
    for number, row in rows:
        data = spec.row_data(mapping, row)
        existing = _existing(spec, data)
        if key and data.get(key):
            if data[key] in seen_keys:
                errors.append(
                    {
                        "row": number,
                        "column": spec.header_label(key),
                        "message": _("Same value as row %(row)s in this file.") % {"row": seen_keys[data[key]]},
                    }
                )
                job.processed_rows += 1
                continue
            seen_keys[data[key]] = number
        if existing is not None and strategy == "skip":
            job.skipped_rows += 1
            job.processed_rows += 1
            continue
        instance = existing if existing is not None and strategy == "update" else None
        if instance is not None and not config.model.objects.filter(pk=instance.pk).visible_to(user, "change").exists():
            errors.append(
                {
                    "row": number,
                    "column": "",
                    "message": _("You may not change the existing record."),
                }
            )
            job.processed_rows += 1
            continue
        spec.complete(data, config.form_class, instance)
        # A copy: validation writes into the form's instance; the service audits against the stored one.
        form = config.form_class(data=data, instance=copy.copy(instance) if instance is not None else None, user=user)
        if not form.is_valid():
            errors.extend(_row_errors(form, spec, number, data))
        elif clash := _file_duplicate(form, unique_sets, seen_unique, number):
            names, first_row = clash
            errors.append(
                {
                    "row": number,
                    "column": spec.header_label(names[-1]),
                    "message": _("Same value as row %(row)s in this file.") % {"row": first_row},
                }
            )
        else:
            job.valid_rows += 1
            if commit:
                try:
                    with transaction.atomic():
                        if instance is None:
                            created.append(config.service.create(actor=user, data=form.service_data()))
                            job.created_rows += 1
                        else:
                            config.service.update(actor=user, instance=instance, data=form.service_data())
                            job.updated_rows += 1
                except ValidationError as e:
                    job.valid_rows -= 1
                    for message in e.messages:
                        errors.append({"row": number, "column": "", "message": message})
        job.processed_rows += 1
        if job.processed_rows % 200 == 0:
            type(job).objects.filter(pk=job.pk).update(processed_rows=job.processed_rows)
    job.errors = errors[:MAX_ERRORS_STORED]
    job.status = job.Status.DONE if commit else job.Status.CHECKED
    job.finished_at = timezone.now()
    job.save()
    if commit:
        audit_log(
            actor=user,
            action="import",
            model=config.model,
            object_repr=job.original_name,
            message=_("%(created)s created, %(updated)s updated, %(skipped)s skipped, %(errors)s rows with errors")
            % {
                "created": job.created_rows,
                "updated": job.updated_rows,
                "skipped": job.skipped_rows,
                "errors": len({e["row"] for e in errors}),
            },
        )
    return job


def build_template(config):
    """XLSX template: header row, dropdowns for choice/dictionary columns, bilingual instructions."""
    import xlsxwriter

    spec = ImportSpec(config)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("data")
    lists = book.add_worksheet("lists")
    required_fmt = book.add_format({"bold": True, "bg_color": "#FDE2E2"})
    header_fmt = book.add_format({"bold": True, "bg_color": "#E8F0FE"})
    for col, name in enumerate(spec.fields):
        field = config.model._meta.get_field(name)
        required = spec.required(name)
        title = spec.header_label(name) + (" *" if required else "")
        sheet.write_string(0, col, title, required_fmt if required else header_fmt)
        sheet.set_column(col, col, max(12, len(title) * 2))
        options = []
        if field.choices:
            options = [str(label) for _value, label in field.flatchoices]
        elif field.is_relation and hasattr(field.related_model, "import_choices"):
            options = field.related_model.import_choices(field)
        elif isinstance(field, models.BooleanField):
            options = BOOLEAN_CHOICES
        if options:
            for row, option in enumerate(options):
                lists.write_string(row, col, option)
            col_letter = xlsxwriter.utility.xl_col_to_name(col)
            sheet.data_validation(
                1,
                col,
                10000,
                col,
                {
                    "validate": "list",
                    "source": f"=lists!${col_letter}$1:${col_letter}${len(options)}",
                },
            )
    lists.hide()
    info = book.add_worksheet("说明 Instructions")
    lines = [
        "填写说明 / How to fill in",
        "1. 第一行是列标题，请勿修改；带 * 的列必填。 Keep the first row; columns marked * are required.",
        "2. 有下拉框的列请从列表中选择。 Pick values from the dropdown where a column has one.",
        "3. 日期格式 YYYY-MM-DD。 Dates as YYYY-MM-DD.",
        "4. 上传后先检查（不保存），确认后再导入。 Upload first checks every row without saving; then confirm.",
        "5. 文件不超过 20 MB，支持 .xlsx / .csv。 Up to 20 MB, .xlsx or .csv.",
    ]
    for i, line in enumerate(lines):
        info.write_string(i, 0, line)
    info.set_column(0, 0, 110)
    book.close()
    return buffer.getvalue()
