"""Reading step of an import (issue 10, items 1-2): peak memory and time, before and after.

    .venv/bin/python bench/import_read.py [--rows 100000] [--repeat 3]

Builds three XLSX files: (a) the corner-cell file (客户名称 in A1, Corner Co in A2, a cell at
XFD1048576; ~1.5 KB), (b) a compression bomb of 200,000 identical rows (~280 KB inflating to
~64 MB of XML), (c) a legitimate file of N customers (bench/import_export.py's generator). Each
file is read by

- "before": read_table as it was before core/spreadsheet.py (copied below from
  `git show 090d67a:core/importing.py`, unchanged), in a child process with RLIMIT_AS at 4 GB so
  the corner file's 512 GiB request fails there and not on the machine;
- "after": core.spreadsheet.run_reader with the default limits (what read_table runs with the
  default system parameters): this process's side (file in, rows back) in a bench child, the
  checks and calamine in its own child under the 2 GB import limit;
- "peek": the same with header_only, as the upload views call it (read_header: every check, the
  rows stay in the reader's child).

Peak memory is ru_maxrss: of the whole bench child for "before" (from wait4, also when it is
killed), and for "after" of each side separately (the reader's child reports its own).
Time is the reading call's wall time inside the child (interpreter start not included), or the
child's whole life when it was killed; "cpu s" is the CPU time of the whole child (with the
reader's child for "after", interpreter starts included), steadier than wall time on a busy
machine. The smallest of --repeat runs is printed.
"""

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _setup import ROOT

BEFORE_LIMIT = 4 << 30


# --- the files ------------------------------------------------------------------------------------
def _xlsx(sheet_rows):
    def cell(ref, text):
        return f'<c{f" r={chr(34)}{ref}{chr(34)}" if ref else ""} t="inlineStr"><is><t>{text}</t></is></c>'

    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
        'xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.'
        'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
        'schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/'
        'sheet1.xml"/></Relationships>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_rows(cell))
    return buffer.getvalue()


def corner_file():
    def rows(cell):
        return (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData>'
            f'<row r="1">{cell("A1", "客户名称")}</row><row r="2">{cell("A2", "Corner Co")}</row>'
            f'<row r="1048576">{cell("XFD1048576", "x")}</row></sheetData></worksheet>'
        )

    return _xlsx(rows)


def bomb_file(rows=200_000):
    def sheet(cell):
        row = "<row>" + cell(None, "Bomb Co") * 7 + "</row>"
        return (
            '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData><row r="1">{cell("A1", "客户名称")}</row>'
            + row * rows
            + "</sheetData></worksheet>"
        )

    return _xlsx(sheet)


# --- the reader before core/spreadsheet.py (git show 090d67a:core/importing.py, unchanged) ---------
BEFORE = '''
import csv
import io

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def read_table(path_or_file, name):
    """(header, rows) as lists of strings; rows keep their sheet row number."""
    name = name.lower()
    if name.endswith((".xlsx", ".xls")):
        from python_calamine import CalamineWorkbook

        data = path_or_file.read() if hasattr(path_or_file, "read") else open(path_or_file, "rb").read()
        try:
            book = CalamineWorkbook.from_filelike(io.BytesIO(data))
            rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception as e:  # calamine raises its own errors for damaged or disguised files
            raise ValidationError(
                _("The file could not be read as an Excel workbook; save it again as .xlsx."), code="bad_file"
            ) from e
    else:
        raw = path_or_file.read() if hasattr(path_or_file, "read") else open(path_or_file, "rb").read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("The CSV file is neither UTF-8 nor GBK text."), code="encoding")
        try:
            rows = list(csv.reader(io.StringIO(text)))
        except csv.Error as e:
            raise ValidationError(_("The file could not be read as CSV."), code="bad_file") from e
    # Most cells are text already: strip them inline (one call per cell less at 100,000 rows),
    # replacing each row in place so the raw cells are freed as we go.
    for i, row in enumerate(rows):
        rows[i] = [c.strip() if c.__class__ is str else _cell_text(c) for c in row]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise ValidationError(_("The file has no header row."), code="empty")
    header, body = rows[0], rows[1:]
    numbered = [(i + 2, r) for i, r in enumerate(body) if any(r)]  # cells are stripped above
    if not numbered:
        raise ValidationError(_("The file has a header but no data rows."), code="empty")
    return [h.strip() for h in header], numbered


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()
'''


# --- the children ---------------------------------------------------------------------------------
def child(reader, path):
    """Read `path` once; print a JSON line. Runs in its own process."""
    result = {}
    if reader == "before":
        from django.conf import settings

        settings.configure(USE_I18N=False)
        namespace = {}
        exec(BEFORE, namespace)  # noqa: S102 - the old reader, verbatim
        started = time.perf_counter()
        try:
            header, rows = namespace["read_table"](path, path)
            result = {"outcome": f"accepted: {len(rows)} rows"}
        except Exception as e:
            result = {"outcome": f"refused: {' '.join(getattr(e, 'messages', [str(e)]))}"}
    else:
        from core.spreadsheet import DEFAULT_LIMITS, SheetError, run_reader

        data = Path(path).read_bytes()
        started = time.perf_counter()
        try:
            header, rows, stats = run_reader(data, path, DEFAULT_LIMITS, header_only=reader == "peek")
            rows = range(rows) if reader == "peek" else rows
            result = {"outcome": f"accepted: {len(rows)} rows", "reader_peak_mb": stats["peak_kb"] / 1024}
        except SheetError as e:
            result = {
                "outcome": f"refused: {e.code} {e.params}",
                "reader_peak_mb": getattr(e, "stats", {}).get("peak_kb", 0) / 1024,
            }
    result["seconds"] = time.perf_counter() - started
    result["own_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result, ensure_ascii=False))


def measure(reader, path):
    def limit():
        if reader == "before":
            resource.setrlimit(resource.RLIMIT_AS, (BEFORE_LIMIT, BEFORE_LIMIT))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", reader, str(path)],
            stdout=out,
            stderr=err,
            preexec_fn=limit,  # noqa: PLW1509 - this benchmark runs no threads
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        # wait4, not wait(): the peak of a child that was killed too.
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        output, errors = out.read().decode(), err.read().decode(errors="replace")
    cpu = usage.ru_utime + usage.ru_stime  # the child's, and for "after" its reader's too
    if process.returncode == 0:
        return {**json.loads(output.strip().splitlines()[-1]), "cpu": cpu}
    first = errors.strip().splitlines()[:1]
    return {
        "outcome": f"killed (exit {process.returncode}): {first[0] if first else ''}",
        "seconds": wall,
        "cpu": cpu,
        "own_peak_mb": usage.ru_maxrss / 1024,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    from import_export import make_file

    folder = ROOT / "var" / "bench" / "import_read"
    folder.mkdir(parents=True, exist_ok=True)
    files = {"corner": folder / "corner.xlsx", "bomb": folder / "bomb.xlsx", "legit": folder / "customers.xlsx"}
    files["corner"].write_bytes(corner_file())
    files["bomb"].write_bytes(bomb_file())
    make_file(files["legit"], args.rows)
    for kind, path in files.items():
        xml = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
        print(f"{kind}: {path.stat().st_size / 1024:,.1f} KiB, {xml / 1048576:,.1f} MiB unpacked")
    print(f"{'file':8} {'reader':7} {'seconds':>8} {'cpu s':>6} {'peak MB':>16}  outcome")
    for kind, path in files.items():
        for reader in ("before", "after", "peek"):
            runs = [measure(reader, path) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            peak = max(r.get("own_peak_mb", 0) for r in runs)
            if reader != "before":
                peak_text = f"{peak:,.0f} + {max(r.get('reader_peak_mb', 0) for r in runs):,.0f}"
            else:
                peak_text = f"{peak:,.0f}" if peak else "-"
            cpu = min(r["cpu"] for r in runs)
            print(f"{kind:8} {reader:7} {best['seconds']:8.2f} {cpu:6.2f} {peak_text:>16}  {best['outcome'][:150]}")
    print("peak MB after/peek: this process's side + the reader child's (RLIMIT_AS 2 GB)")


if __name__ == "__main__":
    main()
