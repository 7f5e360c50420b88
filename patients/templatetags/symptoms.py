from django import template

from patients.catalogue import BY_KEY

register = template.Library()


@register.filter
def display(item, value):
    """{{ item|display:value }}: a value as people read it ('3 (severe)', '7/day')."""
    return item.display(value)


@register.filter
def item_label(key):
    item = BY_KEY.get(key)
    return item.label if item else key


@register.filter
def answer(check_in, key):
    return getattr(check_in, key, None)
