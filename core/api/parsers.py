"""The API's JSON parser: refuses nesting deeper than any request of ours needs.

`json.load` recurses once per `[` or `{`: a 100 KB body of 50,000 `[` raised RecursionError,
which DRF's parser does not catch (a 500). The depth is counted on the text first (string
contents left out), so the parser never gets near the interpreter's recursion limit.
"""

import json
import re
from itertools import accumulate

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 32  # our bodies nest three levels at most; a JSON field's value gets room beside

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = [0] * 128
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def nesting_depth(text: str) -> int:
    """Deepest bracket nesting of a JSON text, brackets inside strings left out (C-speed: two
    regular expressions and a running sum over the brackets alone)."""
    skeleton = _NOT_BRACKET.sub("", _STRING.sub("", text)).encode("ascii")
    return max(accumulate(map(_STEP.__getitem__, skeleton)), default=0)


def too_deep(limit):
    return ParseError(_("JSON nesting too deep: at most %(limit)d levels.") % {"limit": limit})


class JSONParser(parsers.JSONParser):
    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
        except (ValueError, LookupError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"JSON parse error - {exc}") from exc
        if nesting_depth(text) > self.max_depth:
            raise too_deep(self.max_depth)
        try:
            return json.loads(text, parse_constant=strict_constant if self.strict else None)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:  # not reached below max_depth; kept should the limit grow
            raise too_deep(self.max_depth) from exc
