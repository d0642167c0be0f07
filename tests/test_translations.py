"""The zh_Hans catalogue is complete: every msgid has a msgstr, nothing is fuzzy, placeholders match.

The .po file is read with a small parser here (no polib dependency). Regenerate the catalogue with
`manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=static/vendor
--ignore=var --ignore=bench --ignore=docs --no-location`, translate the new entries, then
`make messages`.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|\{\w*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str | None = None
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self):
        return f"line {self.line}: {self.msgid!r}"


def _unquote(token):
    """A C-style quoted PO string ("...") to text."""
    assert token.startswith('"') and token.endswith('"'), token
    body, out, i = token[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_po(path):
    """Entries of a .po file (header included, obsolete `#~` entries left out)."""
    entries, current, target, pending_flags = [], None, None, set()

    def finish():
        nonlocal current, target
        if current is not None:
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            pending_flags = set()  # flags belong to the entry in the same block (not to an obsolete one)
            continue
        if line.startswith("#"):
            if current is not None and target is not None and target[0].startswith("msgstr"):
                finish()  # a comment after msgstr starts the next entry
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0].startswith("msgstr"):
                finish()  # a new entry without a blank line between
            if current is None:
                current, pending_flags = Entry(flags=pending_flags, line=number), set()
            value = _unquote(token)
            if keyword == "msgctxt":
                current.msgctxt, target = value, ("msgctxt", None)
            elif keyword == "msgid":
                current.msgid, target = value, ("msgid", None)
            elif keyword == "msgid_plural":
                current.msgid_plural, target = value, ("msgid_plural", None)
            elif index is not None:
                current.msgstr_plural[int(index)], target = value, ("msgstr[]", int(index))
            else:
                current.msgstr, target = value, ("msgstr", None)
            continue
        if line.startswith('"') and current is not None and target is not None:
            value = _unquote(line)
            kind, index = target
            if kind == "msgstr[]":
                current.msgstr_plural[index] += value
            else:
                setattr(current, kind, getattr(current, kind) + value)
            continue
        raise AssertionError(f"{path.name}:{number}: cannot parse {raw!r}")
    finish()
    return entries


@pytest.fixture(scope="module")
def catalogue():
    assert PO_FILE.exists(), f"{PO_FILE} is missing: run makemessages -l zh_Hans"
    entries = parse_po(PO_FILE)
    header = [e for e in entries if e.msgid == "" and e.msgctxt is None]
    assert len(header) == 1, "the catalogue has no header entry"
    return header[0], [e for e in entries if e is not header[0]]


def test_parser_reads_plurals_and_multiline_strings(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "%(n)s record"\nmsgid_plural "%(n)s records"\n'
        'msgstr[0] ""\n"%(n)s 条"\n"记录"\n\n'
        'msgctxt "month"\nmsgid ""\n"May "\n"\\"x\\""\nmsgstr "五月"\n',
        encoding="utf-8",
    )
    header, plural, ctx = parse_po(po)
    assert header.msgstr == "Plural-Forms: nplurals=1; plural=0;\n"
    assert plural.msgid_plural == "%(n)s records" and plural.msgstr_plural == {0: "%(n)s 条记录"}
    assert plural.flags == {"fuzzy", "python-format"}
    assert (ctx.msgctxt, ctx.msgid, ctx.msgstr, ctx.flags) == ("month", 'May "x"', "五月", set())


def test_header_declares_chinese_plural_forms(catalogue):
    header, _entries = catalogue
    assert "fuzzy" not in header.flags, "the header is marked fuzzy: compilemessages would skip it"
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr
    assert "charset=UTF-8" in header.msgstr


def test_every_entry_is_translated(catalogue):
    _header, entries = catalogue
    assert len(entries) > 100
    untranslated = [
        e.label
        for e in entries
        if (e.msgid_plural is None and not e.msgstr)
        or (e.msgid_plural is not None and (not e.msgstr_plural or not all(e.msgstr_plural.values())))
    ]
    assert not untranslated, f"{len(untranslated)} untranslated zh_Hans entries:\n" + "\n".join(untranslated)


def test_no_entry_is_fuzzy(catalogue):
    _header, entries = catalogue
    fuzzy = [e.label for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy zh_Hans entries (check and remove the flag):\n" + "\n".join(fuzzy)


def test_placeholders_are_kept(catalogue):
    _header, entries = catalogue
    wrong = []
    for e in entries:
        source = e.msgid_plural if e.msgid_plural is not None else e.msgid
        for text in e.msgstr_plural.values() if e.msgid_plural is not None else [e.msgstr or ""]:
            if sorted(_PLACEHOLDER.findall(source)) != sorted(_PLACEHOLDER.findall(text)):
                wrong.append(f"{e.label} -> {text!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_chinese_catalogue_is_compiled_and_active():
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") != "Customers", "zh_Hans .mo missing: run `make messages`"
    with translation.override("en"):
        assert translation.gettext("Customers") == "Customers"
