"""The facility page's water section: what its chart needs, the chart itself drawn on the phone by uPlot
from the readings API (static/js/readings-chart.js)."""
import sqlalchemy as sa

from .. import clock
from ..auth.scope import Scope
from ..extensions import db
from . import rules, services
from .models import Reading, ReadingRollup


def section(user, asset, args=None) -> dict | None:
    """None but for a reservoir the user may see: its reference lines, latest readings, first day."""
    if asset.type not in services.READING_TYPES or not Scope.of(user).allows(asset):
        return None
    limits = rules.Limits.of(asset.attributes)
    first = db.session.scalar(sa.select(sa.func.min(ReadingRollup.bucket_at))
                              .where(ReadingRollup.asset_id == asset.id, ReadingRollup.grain == "d"))
    latest = {}
    for kind in rules.KINDS:
        latest[kind] = db.session.execute(
            sa.select(Reading.observed_at, Reading.value).where(Reading.asset_id == asset.id, Reading.kind == kind)
            .order_by(Reading.observed_at.desc()).limit(1)).first()
    return {"asset_id": asset.id, "limits": limits, "latest": latest,
            "first": int(first.timestamp()) if first is not None else None, "now": int(clock.now().timestamp())}
