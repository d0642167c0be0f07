"""Read an HTML form as a browser would submit it (for round-trip tests without a browser).

Inputs keep only values their type allows, as browsers sanitise them: an <input type="date">
whose value is not YYYY-MM-DD submits "" — which is how a locale-formatted date (2004/04/02)
was silently erased on save.
"""

import re
from html.parser import HTMLParser

_VALID = {
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "datetime-local": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"),
    "time": re.compile(r"^\d{2}:\d{2}(:\d{2})?$"),
    "number": re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"),
    "email": re.compile(r"^$|^[^@\s]+@[^@\s]+$"),
}
_SKIP = {"submit", "button", "reset", "file", "image"}


class _FormReader(HTMLParser):
    def __init__(self, form_selector):
        super().__init__(convert_charrefs=True)
        self.selector = form_selector
        self.depth = 0  # inside the wanted <form>
        self.data = []  # (name, value) in document order
        self.select = None  # (name, multiple, options[(value, selected)])
        self.option = None
        self.textarea = None

    def _wanted(self, attrs):
        return all(attrs.get(k) == v for k, v in self.selector.items())

    def handle_starttag(self, tag, attrs):
        attrs = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            if self.depth or self._wanted(attrs):
                self.depth += 1
            return
        if not self.depth or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text").lower()
            if kind in _SKIP:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.data.append((name, attrs.get("value", "on")))
                return
            value = attrs.get("value", "")
            pattern = _VALID.get(kind)
            self.data.append((name, value if pattern is None or pattern.match(value) else ""))
        elif tag == "select" and name:
            self.select = (name, "multiple" in attrs, [])
        elif tag == "option" and self.select is not None:
            self.option = [attrs.get("value"), "selected" in attrs, ""]
            self.select[2].append(self.option)
        elif tag == "textarea" and name:
            self.textarea = [name, ""]

    def handle_data(self, data):
        if self.option is not None:
            self.option[2] += data
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "option":
            self.option = None
        elif tag == "textarea" and self.textarea is not None:
            # The HTML parser drops the newline right after <textarea>, as browsers do.
            self.data.append((self.textarea[0], self.textarea[1].removeprefix("\n")))
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, multiple, options = self.select
            values = [v if v is not None else text.strip() for v, selected, text in options if selected]
            if not values and not multiple and options:
                first = options[0]
                values = [first[0] if first[0] is not None else first[2].strip()]
            self.data.extend((name, v) for v in values)
            self.select = None


def form_data(html, **selector):
    """{name: value or [values]} that submitting the form matching `selector` (its attributes,
    e.g. method="post") would send."""
    reader = _FormReader(selector)
    reader.feed(html)
    result = {}
    for name, value in reader.data:
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result
