"""The daily 水位雨量报送: its work order's record form asks for the reservoir's water level (库水位) and the
last 24 hours' rainfall (24 h 雨量), and they become readings when the record is submitted, from the page or
from the phone's outbox alike. Flushes, never commits."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import clock
from ..calendar.models import CalendarItem
from ..errors import Conflict
from ..extensions import db
from ..i18n import N_
from . import events, rules, services

REPORT_KIND = "manual_level_rain_report"
# (form field, kind, label, unit, period of a rainfall)
FIELDS = (("reading.water_level", "water_level", N_("Water level (库水位)"), "m", None),
          ("reading.rain_24h", "rainfall", N_("Rainfall in the last 24 hours (24 h 雨量)"), "mm", 1440))


def is_daily_report(order) -> bool:
    return order.asset.type in services.READING_TYPES and db.session.scalar(
        sa.select(CalendarItem.id).where(CalendarItem.work_order_id == order.id,
                                         CalendarItem.kind == REPORT_KIND)) is not None


def form_fields(order) -> list[dict]:
    """The reading fields of the order's record form; none but on a daily report."""
    if not is_daily_report(order):
        return []
    return [{"name": name, "label": _(label), "unit": unit} for name, _kind, label, unit, _period in FIELDS]


def clean(order, values: dict, errors: dict, now: datetime | None = None) -> list[rules.Clean]:
    """The form's readings, read now; each refused one, or a missing one, goes into `errors` by field."""
    if not is_daily_report(order):
        return []
    limits, now, found = rules.Limits.of(order.asset.attributes), now or clock.now(), []
    for name, kind, _label, _unit, period in FIELDS:
        value = values.get(name[len("reading."):])
        if value in (None, ""):
            errors[name] = _("is required")
            continue
        try:
            found.append(rules.check(kind, value, now, period, limits, now, clock.zone()))
        except rules.Refused as refused:
            errors[name] = _(refused.msgid, **refused.params)
    return found


def store(actor, order, readings: list[rules.Clean]) -> int:
    """Keep the form's readings with the work order, and record the events they show."""
    if not readings:
        return 0
    positions, clashes = services.new_only(order.asset_id, readings)
    if clashes:
        raise Conflict(_("Another reading was stored for this moment; please submit again."),
                       {FIELDS[i][0]: _("another value is stored for this moment: %(value)s", value="%g" % v)
                        for i, v in clashes.items()})
    fresh = [readings[i] for i in positions]
    count = services.store(order.asset_id, fresh, "manual", order.id)
    if count:
        events.find(actor, order.asset, fresh)
    return count
