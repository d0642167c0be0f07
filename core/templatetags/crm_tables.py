from django import template

from ..table_render import render_rows

register = template.Library()


@register.simple_tag
def table_rows(table):
    return render_rows(table)
