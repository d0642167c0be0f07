"""Reading an uploaded XLSX/XLS/CSV into rows, in a child process whose memory is capped.

calamine builds a sheet as one dense block from its first to its last used cell: a 1.5 KB XLSX
with cells at A1 and XFD1048576 asks for 512 GiB and Rust aborts the whole process (the web
worker or the queue worker). So, in this order:

1. the archive's table of contents: member count, declared unpacked size, compression ratios;
2. the first sheet's declared `<dimension>` (only the first bytes of the sheet are unpacked);
3. every member unpacked once, counting what it really inflates to, while the first sheet's cell
   references are searched for any beyond the row or column limit;
4. only then calamine, and the rows are turned into text one at a time, counting them.

All of it runs in a child Python (`python -I core/spreadsheet.py`) with RLIMIT_AS set: a file
that gets past the checks (odd but legal XML that the reference search does not see, an .xls,
whose cells calamine reads when it opens the book) can at worst kill that child, and the import
then fails with a message naming the memory limit. The child is a plain subprocess, not
multiprocessing: it works from threads (granian, huey) and from huey's daemonic process workers
(which may not start multiprocessing children), and a fresh interpreter costs ~30 ms of CPU.
The rows come back marshalled (plain lists and strings; unlike pickle, loading runs no code).

Module level imports the standard library only: the child runs this file without Django.
"""

import csv
import gc
import io
import logging
import marshal
import os
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib

XLSX_RATIO_FLOOR = 1 << 20  # members smaller than this may compress as they like
XLSX_MAX_RATIO = 100  # real sheets compress 5-20 times (xlsxwriter's 100,000 rows: 13)
XLSX_MAX_MEMBERS = 1000  # a workbook has 10-50 parts
XLSX_MAX_PART = 16 << 20  # workbook.xml, its relationships
READ_TIMEOUT = 180  # seconds for the child; 200,000 rows take a few
CHUNK = 1 << 20
DEFAULT_LIMITS = {"rows": 200_000, "columns": 200, "unpacked": 200 << 20, "memory": 2048 << 20}

log = logging.getLogger("crm.import")


class SheetError(Exception):
    """A refusal with a code and parameters; the parent turns it into a translated message."""

    def __init__(self, code, **params):
        super().__init__(code, params)
        self.code, self.params = code, params


# --- cell references ---------------------------------------------------------------------------
def column_name(number):
    """1 → A, 27 → AA, 16384 → XFD."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


def _reference(text):
    """(row, column), both 1-based and 0 when absent, of "XFD1048576" (calamine's reading: any
    number of letters of either case, then digits)."""
    match = re.fullmatch(rb"([A-Za-z]*)(\d*)", text)
    if match is None:
        return 0, 0
    column = 0
    for letter in match.group(1).upper():
        column = column * 26 + letter - 64
    return int(match.group(2) or 0), column


def _letters_after(limit):
    """Regex alternatives for column letters sorting after `limit` ("GR"): longer, or as long
    and greater letter by letter (either case, as calamine reads them)."""
    alternatives = [f"[A-Za-z]{{{len(limit) + 1},}}"]
    for i, ch in enumerate(limit):
        if ch < "Z":
            up = chr(ord(ch) + 1)
            head = "".join(f"[{c}{c.lower()}]" for c in limit[:i])
            alternatives.append(f"{head}[{up}-Z{up.lower()}-z][A-Za-z]{{{len(limit) - i - 1}}}")
    return alternatives


def _digits_after(limit):
    """Regex alternatives for a row number above `limit` ("200001")."""
    alternatives = [rf"\d{{{len(limit) + 1},}}"]
    for i, ch in enumerate(limit):
        if ch < "9":
            alternatives.append(rf"{limit[:i]}[{int(ch) + 1}-9]\d{{{len(limit) - i - 1}}}")
    return alternatives


REFERENCE = re.compile(rb'r="([A-Za-z]*\d*)')


def _over_patterns(limits):
    """Two searches over the sheet XML for a cell reference `r="…"` past the column limit or past
    the last allowed row (header + row limit). They only pick candidates (_reference decides):
    the literal `r="` first keeps them fast (0.15 s for 47 MB). Excel, WPS, LibreOffice,
    openpyxl and xlsxwriter all write references this way; other spellings meet the memory limit."""
    columns = _letters_after(column_name(limits["columns"]))
    rows = _digits_after(str(limits["rows"] + 1))
    return (
        re.compile(('r="(?:' + "|".join(columns) + r")\d").encode()),
        re.compile(('r="[A-Za-z]*(?:' + "|".join(rows) + ')"').encode()),
    )


def _check_extent(row, column, limits):
    if column > limits["columns"]:
        raise SheetError("columns", limit=limits["columns"], column=column_name(column))
    if row - 1 > limits["rows"]:
        raise SheetError("rows", limit=limits["rows"], row=row)


# --- XLSX: the archive before calamine -----------------------------------------------------------
def _inflate(fp, info):
    """The member's bytes as they really inflate (the declared size may lie), 1 MB at a time."""
    if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise SheetError("bad_file")  # encrypted, or a method calamine does not read either
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise SheetError("bad_file")
    name_length, extra_length = struct.unpack("<HH", head[26:30])
    fp.seek(info.header_offset + 30 + name_length + extra_length)
    left = info.compress_size
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        raw = fp.read(min(65536, left))
        if not raw:
            break
        left -= len(raw)
        if inflater is None:
            yield raw
            continue
        try:
            while raw:
                out = inflater.decompress(raw, CHUNK)
                if out:
                    yield out
                raw = inflater.unconsumed_tail
        except zlib.error as e:
            raise SheetError("bad_file") from e
        if inflater.eof:
            break


def _read_part(fp, info):
    data = b""
    for chunk in _inflate(fp, info):
        data += chunk
        if len(data) > XLSX_MAX_PART:
            raise SheetError("bad_file")
    return data


def _xml(data):
    import xml.etree.ElementTree as ET  # expat ≥ 2.4 refuses entity expansion bombs

    try:
        return ET.fromstring(data)
    except ET.ParseError:
        return None


def _local(tag):
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def _first_sheet(fp, members):
    """The zip member of the workbook's first sheet, resolved as calamine does (package
    relationships → workbook.xml's first <sheet> → its relationship target, names compared
    without case); None if the workbook has no readable first sheet."""

    def part(path):
        info = members.get(path.lower())
        return None if info is None else _xml(_read_part(fp, info))

    def relationships(root):
        if root is None:
            return []
        return [
            (e.get("Id"), e.get("Type") or "", e.get("Target") or "") for e in root if _local(e.tag) == "Relationship"
        ]

    xl_path = None
    for _id, kind, target in relationships(part("_rels/.rels")):
        if kind.endswith("/relationships/officeDocument"):
            xl_path = target[: target.rfind("/") + 1].removeprefix("/")
    if xl_path is None:
        return None
    targets = {rid: target for rid, _kind, target in relationships(part(f"{xl_path}_rels/workbook.xml.rels"))}
    workbook = part(f"{xl_path}workbook.xml")
    if workbook is None:
        return None
    for element in workbook.iter():
        if _local(element.tag) == "sheet":
            rid = [v for k, v in element.attrib.items() if _local(k) == "id"]
            target = targets.get(rid[-1]) if rid else None
            if target is None:
                return None
            path = target[1:] if target.startswith("/") else xl_path + target
            return members.get(path.lower())
    return None


DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")


def _check_dimension(fp, sheet, limits):
    """The sheet's declared used range, read from its first bytes, before any cell."""
    head = b""
    for chunk in _inflate(fp, sheet):
        head += chunk
        if b"sheetData" in head or len(head) >= CHUNK:
            break
    match = DIMENSION.search(head.split(b"sheetData", 1)[0])
    if match:
        row, column = _reference(match.group(1).rsplit(b":", 1)[-1])
        _check_extent(row, column, limits)


def check_xlsx(data, limits):
    """Refuse a workbook over a limit before calamine reads it (see the module's docstring)."""
    fp = io.BytesIO(data)
    try:
        archive = zipfile.ZipFile(fp)
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise SheetError("bad_file") from e
    if len(infos) > XLSX_MAX_MEMBERS:
        raise SheetError("members", count=len(infos), limit=XLSX_MAX_MEMBERS)
    members = {}
    for info in infos:
        key = info.filename.replace("\\", "/").lower()
        if key in members:  # two readers could pick different ones
            raise SheetError("bad_file")
        members[key] = info
    if sum(i.file_size for i in infos) > limits["unpacked"]:
        raise SheetError("unpacked", limit=limits["unpacked"] >> 20)
    for info in infos:
        _check_ratio(info, info.file_size)
    sheet = _first_sheet(fp, members)
    if sheet is None:
        raise SheetError("bad_file")
    _check_dimension(fp, sheet, limits)
    columns, rows = _over_patterns(limits)
    total = 0
    for info in infos:
        size, tail = 0, b""
        for chunk in _inflate(fp, info):
            size += len(chunk)
            total += len(chunk)
            if total > limits["unpacked"]:
                raise SheetError("unpacked", limit=limits["unpacked"] >> 20)
            _check_ratio(info, size)
            if info is sheet:
                window = tail + chunk  # a reference cut between two chunks
                for pattern in (columns, rows):
                    for match in pattern.finditer(window):
                        _check_extent(*_reference(REFERENCE.match(window, match.start()).group(1)), limits)
                tail = window[-64:]


def _check_ratio(info, size):
    if size >= XLSX_RATIO_FLOOR and size > XLSX_MAX_RATIO * max(info.compress_size, 1):
        raise SheetError("ratio", ratio=size // max(info.compress_size, 1), limit=XLSX_MAX_RATIO)


# --- reading (in the child) ----------------------------------------------------------------------
def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


def _workbook_rows(data, name, limits):
    from python_calamine import CalamineWorkbook

    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":  # calamine goes by the content
        check_xlsx(data, limits)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
    except BaseException as e:  # calamine's errors, and pyo3's PanicException (a BaseException)
        if isinstance(e, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise SheetError("bad_file") from e
    # Sheet metadata before any cell becomes a Python object (an .xls is already read by now).
    end = sheet.end
    if end is None:
        return iter(())
    _check_extent(end[0] + 1, end[1] + 1, limits)
    return sheet.iter_rows()


def _csv_rows(data):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("encoding")
    return csv.reader(io.StringIO(text))


def read_rows(data, name, limits, header_only=False):
    """(header, [(sheet row number, cells)]) as stripped text, or (header, data row count) for
    `header_only`; raises SheetError. Rows are converted and counted one at a time."""
    name = name.lower()
    source = _workbook_rows(data, name, limits) if name.endswith((".xlsx", ".xls")) else _csv_rows(data)
    header, numbered, count = None, [], 0
    try:
        for number, row in enumerate(source, 1):
            if len(row) > limits["columns"]:
                if any(row[limits["columns"] :]):  # a CSV written by Excel pads rows with commas
                    raise SheetError("columns", limit=limits["columns"], column=column_name(len(row)))
                row = row[: limits["columns"]]
            if number - 1 > limits["rows"]:
                raise SheetError("rows", limit=limits["rows"], row=number)
            # Most cells are text already: strip them inline (one call per cell less at 100,000 rows).
            cells = [c.strip() if c.__class__ is str else _cell_text(c) for c in row]
            if header is None:
                header = cells
            elif any(cells):
                count += 1
                if not header_only:
                    numbered.append((number, cells))
    except csv.Error as e:
        raise SheetError("bad_csv") from e
    if header is None or not any(header):
        raise SheetError("no_header")
    if not count:
        raise SheetError("no_rows")
    return [h.strip() for h in header], count if header_only else numbered


def _child():
    """Entry point of the child: limits and file on stdin (marshal), result on stdout."""
    import resource

    gc.disable()  # a short life, no cycles worth collecting
    stdin = sys.stdin.buffer.read()
    name, limits, header_only, data = marshal.loads(stdin)
    del stdin
    # RLIMIT_AS, not RSS: calamine asks for its dense block in one allocation, which then fails
    # at once instead of the kernel's OOM killer choosing a victim later.
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    memory = limits["memory"] if hard == resource.RLIM_INFINITY else min(limits["memory"], hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    started = time.perf_counter()
    try:
        header, rows = read_rows(data, name, limits, header_only)
        result = ("ok", header, rows)
    except SheetError as e:
        result = ("error", e.code, e.params)
    except MemoryError:
        del data
        result = ("error", "memory", {})
    stats = {
        "seconds": time.perf_counter() - started,
        "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    sys.stdout.buffer.write(marshal.dumps((*result, stats)))


# --- the parent: limits, the child, messages ---------------------------------------------------
def current_limits():
    """The limits from the system parameters (group "import"); a value ≤ 0 means the default."""
    from .parameters import get_parameter

    def value(key, default, scale=1):
        number = get_parameter(key) or 0
        return number * scale if number > 0 else default

    return {
        "rows": value("import_max_rows", DEFAULT_LIMITS["rows"]),
        "columns": value("import_max_columns", DEFAULT_LIMITS["columns"]),
        "unpacked": value("import_max_unpacked_mb", DEFAULT_LIMITS["unpacked"], 1 << 20),
        "memory": value("import_read_memory_mb", DEFAULT_LIMITS["memory"], 1 << 20),
    }


def run_reader(data, name, limits, header_only=False):
    """read_rows() in the child; (header, rows, stats). Raises SheetError."""
    payload = marshal.dumps((name, limits, header_only, data))
    command = [sys.executable, "-I", os.path.abspath(__file__)]
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    try:
        done = subprocess.run(command, input=payload, capture_output=True, timeout=READ_TIMEOUT, env=env)
    except subprocess.TimeoutExpired as e:
        raise SheetError("timeout", limit=READ_TIMEOUT) from e
    except OSError as e:
        log.error("import read of %s: the reader could not start: %s", name, e)
        raise SheetError("failed") from e
    collecting = gc.isenabled()
    gc.disable()  # 200,000 lists at once: the collector would pass over them again and again (×2.5)
    try:
        status, *values, stats = marshal.loads(done.stdout)
    except (EOFError, ValueError, TypeError):
        stderr = done.stderr[-1000:].decode(errors="replace")
        if done.returncode < 0:
            # Killed: SIGABRT is Rust failing an allocation under RLIMIT_AS, SIGKILL the OOM killer.
            log.warning("import read of %s killed by signal %s: %s", name, -done.returncode, stderr)
            raise SheetError("memory", limit=limits["memory"] >> 20) from None
        log.error("import read of %s failed (exit %s): %s", name, done.returncode, stderr)
        raise SheetError("failed") from None
    finally:
        if collecting:
            gc.enable()
    log.info("import read of %s: %s, %.2f s, peak %d MB", name, status, stats["seconds"], stats["peak_kb"] >> 10)
    if status == "error":
        code, params = values
        if code == "memory":
            params = {"limit": limits["memory"] >> 20}
        error = SheetError(code, **params)
        error.stats = stats
        raise error
    header, rows = values
    return header, rows, stats


def _messages():
    from django.utils.translation import gettext as _

    return {
        "bad_file": _("The file could not be read as an Excel workbook; save it again as .xlsx."),
        "bad_csv": _("The file could not be read as CSV."),
        "encoding": _("The CSV file is neither UTF-8 nor GBK text."),
        "no_header": _("The file has no header row."),
        "no_rows": _("The file has a header but no data rows."),
        "members": _("The workbook has %(count)s parts; at most %(limit)s can be read."),
        "unpacked": _(
            "The workbook unpacks to more than %(limit)s MB, the limit for an import; "
            "remove unused sheets or split the file."
        ),
        "ratio": _(
            "The workbook is compressed %(ratio)s to 1, beyond the %(limit)s to 1 of any real "
            "spreadsheet (a compression bomb); it was not read."
        ),
        "columns": _(
            "The sheet has more than %(limit)s columns (column %(column)s is used); at most "
            "%(limit)s columns can be imported. Delete the cells to the right of your data."
        ),
        "rows": _(
            "The sheet has more than %(limit)s rows of data (row %(row)s is used); at most "
            "%(limit)s rows can be imported at once. Split the file, or delete the cells below your data."
        ),
        "memory": _(
            "Reading the file needed more than %(limit)s MB of memory, the limit for an import; "
            "delete cells far from your data or split the file."
        ),
        "timeout": _("Reading the file took longer than %(limit)s seconds; split the file."),
        "failed": _("The file could not be read because the reader failed; the error is in the server log."),
    }


def _validation_error(error):
    from django.core.exceptions import ValidationError
    from django.utils.formats import number_format

    params = {k: number_format(v, force_grouping=True) if isinstance(v, int) else v for k, v in error.params.items()}
    code = {"no_header": "empty", "no_rows": "empty", "bad_csv": "bad_file"}.get(error.code, error.code)
    return ValidationError(_messages()[error.code] % params, code=code)


def _read(path_or_file, name, header_only):
    if hasattr(path_or_file, "read"):
        data = path_or_file.read()
    else:
        with open(path_or_file, "rb") as fh:
            data = fh.read()
    try:
        return run_reader(data, name, current_limits(), header_only)
    except SheetError as e:
        raise _validation_error(e) from None


def read_table(path_or_file, name):
    """(header, rows) as lists of strings; rows keep their sheet row number. Raises
    ValidationError with a message for the user."""
    header, rows, _stats = _read(path_or_file, name, False)
    return header, rows


def read_header(path_or_file, name):
    """The header row, after the whole file has passed every check read_table makes; the rows
    stay in the child (an upload's first look needs no 100,000 rows in the web worker)."""
    return _read(path_or_file, name, True)[0]


if __name__ == "__main__":
    _child()
