"""Gap-free numbering per prefix (customer codes KH202611-000001, later order and contract numbers),
and the code patterns (system parameters `*_code_pattern`) that make the codes.

A pattern is plain text with the placeholders {yyyy} {mm} {dd} {seq} {seq:0N} and nothing else.
It is parsed here, never given to str.format: an administrator's `{seq.__class__.__name__}` read
attributes of Python objects ("KHint000201"), and `KH{yyyy` made every customer create fail.
"""

import functools
import logging
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CodeSequence

logger = logging.getLogger(__name__)

CODE_MAX_LENGTH = 40  # the customer code column; documents' codes use the same length
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"(yyyy|mm|dd)|seq(?::0([1-9]|1[0-2]))?")
_DATE = {"yyyy": "%Y", "mm": "%m", "dd": "%d"}


@functools.lru_cache(maxsize=64)
def _parse(pattern):
    """The pattern as parts: ("text", s), ("date", strftime format) or ("seq", width)."""
    parts, end = [], 0
    for match in _PLACEHOLDER.finditer(pattern):
        parts.append(("text", pattern[end : match.start()]))
        name = _NAME.fullmatch(match.group(1))
        if name is None:
            raise ValidationError(
                _("“%(token)s” is not a placeholder: use {yyyy}, {mm}, {dd}, {seq} or {seq:0N} (N from 1 to 12).")
                % {"token": match.group(0)[:40]},
                code="placeholder",
            )
        parts.append(("date", _DATE[name.group(1)]) if name.group(1) else ("seq", int(name.group(2) or 0)))
        end = match.end()
    parts.append(("text", pattern[end:]))
    for kind, text in parts:
        if kind == "text" and ("{" in text or "}" in text):
            raise ValidationError(
                _("Every “{” must open one of {yyyy}, {mm}, {dd}, {seq} or {seq:0N} and be closed by “}”."),
                code="brace",
            )
        if kind == "text" and not text.isprintable():
            raise ValidationError(_("A code pattern may not contain line breaks or control characters."), code="text")
    if sum(kind == "seq" for kind, _value in parts) != 1:
        raise ValidationError(_("A code pattern needs exactly one {seq} or {seq:0N}."), code="seq")
    return tuple((kind, value) for kind, value in parts if value != "")


def _render(parts, seq, now):
    out = []
    for kind, value in parts:
        if kind == "seq":
            out.append(str(seq).zfill(value))
        else:
            out.append(now.strftime(value) if kind == "date" else value)
    return "".join(out)


def validate_code_pattern(pattern, max_length=CODE_MAX_LENGTH):
    """Raise ValidationError (one message) unless `pattern` is a usable code pattern."""
    parts = _parse(str(pattern))
    width = max([value for kind, value in parts if kind == "seq"] + [9])  # room for a billion codes
    if len(_render(parts, 10**width - 1, timezone.localtime())) > max_length:
        raise ValidationError(
            _("Codes made by this pattern would be longer than %(limit)d characters.") % {"limit": max_length},
            code="length",
        )


def usable_code_pattern(pattern, fallback):
    """`pattern` if valid, else `fallback` (the parameter's default): a bad pattern stored without
    validation (an old row, a direct database edit) must not stop every create. Logged."""
    try:
        validate_code_pattern(pattern)
    except ValidationError as e:
        logger.warning("Invalid code pattern %r (%s); using %r", pattern, "; ".join(e.messages), fallback)
        return fallback
    return pattern


def format_code(pattern, seq, now=None):
    """The code `pattern` gives for number `seq` at `now` (local time), e.g. KH202611-000001."""
    return _render(_parse(pattern), seq, timezone.localtime(now))


def code_prefix(pattern, now=None):
    """The part of a code before its number: the key its numbers are allocated under."""
    parts = _parse(pattern)
    head = parts[: next(i for i, (kind, _value) in enumerate(parts) if kind == "seq")]
    return _render(head, 0, timezone.localtime(now))


def allocate(prefix, count=1, *, initial=lambda: 0):
    """Reserve `count` consecutive numbers after the last one handed out for `prefix`; return
    the first. `initial()` gives the last number already in use when the prefix is new (rows
    written before the sequence existed). The row lock is held to the end of the caller's
    transaction, so concurrent writers queue instead of colliding."""
    with transaction.atomic():
        row = CodeSequence.objects.select_for_update().filter(prefix=prefix).first()
        if row is None:
            CodeSequence.objects.get_or_create(prefix=prefix, defaults={"last": initial()})
            row = CodeSequence.objects.select_for_update().get(prefix=prefix)
        CodeSequence.objects.filter(prefix=prefix).update(last=F("last") + count)
    return row.last + 1
