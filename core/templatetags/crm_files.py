"""{% file_url obj "field" %}: the checked download link of an attachment; {{ f.field|file_name }}."""

from django import template

from .. import files

register = template.Library()


@register.simple_tag
def file_url(obj, field_name):
    return files.file_url(obj, field_name)


@register.filter
def file_name(value):
    return files.file_name(value)
