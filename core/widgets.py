"""Select widgets that render their options in Python.

Django renders every <option> through a template (select_option.html): a filter bar with a few
hundred options (dictionaries, provinces, owners) spent ~15 ms there per list page. The HTML is
the same as Django's own templates produce.
"""

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def _attrs(attrs):
    # The order and the True/False handling of django/forms/widgets/attrs.html.
    return mark_safe(
        "".join(
            format_html(" {}", k) if v is True else format_html(' {}="{}"', k, str(v))
            for k, v in attrs.items()
            if v is not False
        )
    )


def _render_select(widget, name, value, attrs):
    w = widget.get_context(name, value, attrs)["widget"]
    out = [format_html('<select name="{}"{}>', w["name"], _attrs(w["attrs"]))]
    for group, options, _index in w["optgroups"]:
        if group:
            out.append(format_html('<optgroup label="{}">', group))
        for o in options:
            out.append(format_html('<option value="{}"{}>{}</option>', str(o["value"]), _attrs(o["attrs"]), o["label"]))
        if group:
            out.append("</optgroup>")
    out.append("</select>")
    return mark_safe("".join(out))


class FastSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        return _render_select(self, name, value, attrs)


class FastSelectMultiple(forms.SelectMultiple):
    def render(self, name, value, attrs=None, renderer=None):
        return _render_select(self, name, value, attrs)


def speed_up(widget):
    """Swap a stock Select(Multiple) for its fast twin in place (same state, same output)."""
    if type(widget) is forms.Select:
        widget.__class__ = FastSelect
    elif type(widget) is forms.SelectMultiple:
        widget.__class__ = FastSelectMultiple
    return widget


def html_date_input(widget):
    """<input type="date"> / "datetime-local" with the ISO value those inputs require.

    The locale's format (zh-hans: 2004/04/02) is for display only: the browser drops a value it
    cannot parse, and saving the form then erased the date."""
    if isinstance(widget, forms.DateTimeInput):
        widget.input_type = "datetime-local"
        widget.format = "%Y-%m-%dT%H:%M"
    elif isinstance(widget, forms.DateInput):
        widget.input_type = "date"
        widget.format = "%Y-%m-%d"
    return widget
