"""Select widgets that render their options in Python.

Django renders every <option> through a template (select_option.html): a filter bar with a few
hundred options (dictionaries, provinces, owners) spent ~15 ms there per list page. The HTML is
the same as Django's own templates produce.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .bounds import column_range, out_of_range


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


class AutocompleteSelect(forms.Select):
    """A foreign key to a large model (`AUTOCOMPLETE = True`, e.g. a million customers).

    Renders only the selected row: a hidden <select> that carries the value the form submits,
    and a search box that static/js/crm.js turns into a listbox filled from the scoped
    autocomplete endpoint (data attributes only: no inline script or style under the CSP). The
    selected row's label is read through the field's own queryset, so a value outside the
    viewer's scope renders nothing; the field remembers the rows it validated (`known`), so a
    submitted filter costs one query, not two.
    """

    def __init__(self, url, attrs=None, choices=(), min_chars=1):
        super().__init__(attrs, choices)
        self.url = url
        self.min_chars = min_chars
        self.known = {}  # str(value) -> label of a row the field's queryset gave, None if it did not

    def __deepcopy__(self, memo):
        obj = super().__deepcopy__(memo)
        obj.known = {}
        return obj

    def id_for_label(self, id_):
        # The label focuses the search box; the <select> keeps the field's id.
        return f"{id_}_search" if id_ else id_

    def selected(self, value):
        """[(value, label)] of the submitted or initial value(s) the field's queryset holds."""
        values = value if isinstance(value, list | tuple) else [value]
        values = [str(v) for v in values if v not in (None, "")]
        missing = [v for v in values if v not in self.known]
        field = getattr(self.choices, "field", None)
        if missing and field is not None and field.queryset is not None:
            key = field.to_field_name or "pk"
            model_field = field.queryset.model._meta.pk if key == "pk" else field.queryset.model._meta.get_field(key)
            usable = []
            for v in missing:
                self.known[v] = None
                try:
                    parsed = model_field.to_python(v)
                except ValidationError:
                    continue
                bounds = column_range(model_field)
                if bounds is None or not out_of_range(parsed, bounds):
                    usable.append(parsed)
            if usable:
                for obj in field.queryset.filter(**{f"{key}__in": usable}):
                    self.known[str(getattr(obj, key))] = field.label_from_instance(obj)
        return [(v, self.known[v]) for v in values if self.known.get(v) is not None]

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.translation import gettext

        final = self.build_attrs(self.attrs, attrs)
        select_id = final.pop("id", None)
        required = final.pop("required", False)
        disabled = final.pop("disabled", False)
        css = str(final.pop("class", "form-select"))
        chosen = self.selected(value)
        aria = {k: v for k, v in final.items() if k.startswith("aria-")}
        select = {
            "name": name,
            "id": select_id or False,
            "hidden": True,
            "disabled": disabled,
            "data-autocomplete-value": True,
            **{k: v for k, v in final.items() if k not in aria},
        }
        options = [format_html('<option value=""{}></option>', "" if chosen else mark_safe(" selected"))]
        options += [format_html('<option value="{}" selected>{}</option>', v, label) for v, label in chosen]
        search = {
            "type": "search",
            "id": f"{select_id}_search" if select_id else False,
            "class": css.replace("form-select", "form-control"),
            "value": chosen[0][1] if chosen else "",
            "placeholder": gettext("Type to search"),
            "autocomplete": "off",
            "role": "combobox",
            "aria-autocomplete": "list",
            "aria-expanded": "false",
            "aria-controls": f"{select_id}_listbox" if select_id else False,
            "required": required,
            "disabled": disabled,
            "data-autocomplete-input": True,
            **aria,
        }
        box = {
            "class": "crm-autocomplete",
            "data-autocomplete": self.url,
            "data-autocomplete-min": self.min_chars,
            "data-autocomplete-empty": gettext("No matches"),
        }
        menu = {"class": "dropdown-menu crm-autocomplete-menu", "role": "listbox", "id": search["aria-controls"]}
        return format_html(
            "<div{}><select{}>{}</select><input{}><div{}></div></div>",
            _attrs(box),
            _attrs(select),
            mark_safe("".join(options)),
            _attrs(search),
            _attrs(menu),
        )


def autocomplete(field):
    """Give a ModelChoiceField to a large model the AutocompleteSelect (forms and filter bars do
    this for every such field). Its validated rows are remembered for the render."""
    from django.urls import reverse

    model = field.queryset.model
    old = field.widget
    widget = AutocompleteSelect(reverse("core:autocomplete", args=[model._meta.label_lower]), attrs=dict(old.attrs))
    widget.is_required = old.is_required
    field.widget = widget
    widget.choices = field.choices  # the ModelChoiceIterator: its field and queryset, never iterated
    to_python = field.to_python
    key = field.to_field_name or "pk"

    def remembered(value):
        try:
            obj = to_python(value)
        except ValidationError:
            if value not in field.empty_values:
                field.widget.known[str(value)] = None  # refused: nothing to show, no query to find out
            raise
        if isinstance(obj, field.queryset.model):
            field.widget.known[str(getattr(obj, key))] = field.label_from_instance(obj)
        return obj

    field.to_python = remembered
    return field
