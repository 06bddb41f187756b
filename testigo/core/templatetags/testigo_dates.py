"""{% load testigo_dates %}: every date on a page goes through these (core/dates.py), never a
format of its own.

  {{ moment|when }}            short: "1 dic 2026, 20:00"
  {{ moment|when:"long" }}     long: "1 de diciembre de 2026, 20:00"
  {{ moment|when_day }}        the date alone, short
  {{ report|occurred }}        when a report happened (date alone when its time is unknown)
  {{ report|occurred:"long" }}
  {{ report|occurred_iso }}    for <time datetime="...">
"""

from django import template

from testigo.core import dates

register = template.Library()


@register.filter
def when(moment, style: str = dates.SHORT) -> str:
    return dates.show(moment, style=style)


@register.filter
def when_day(moment, style: str = dates.SHORT) -> str:
    return dates.show(moment, style=style, with_time=False)


@register.filter
def occurred(report, style: str = dates.SHORT) -> str:
    return dates.show_occurred(report, style=style)


@register.filter
def occurred_iso(report) -> str:
    return dates.occurred_iso(report)
