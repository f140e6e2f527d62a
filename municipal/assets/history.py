"""A facility's recent history for staff: code events and scans, newest first. Read-only."""
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Asset, CodeEvent, IdentityCode, ScanLog


@dataclass
class Event:
    at: datetime
    kind: str  # code event action, or "scan"
    code: str
    who: str
    note: str


def recent(asset: Asset, limit: int = 15) -> list[Event]:
    code_events = db.session.scalars(
        sa.select(CodeEvent).where(CodeEvent.asset_id == asset.id)
        .options(joinedload(CodeEvent.code), joinedload(CodeEvent.user))
        .order_by(CodeEvent.at.desc(), CodeEvent.id.desc()).limit(limit)
    )
    scans = db.session.scalars(
        sa.select(ScanLog).where(ScanLog.asset_id == asset.id)
        .options(joinedload(ScanLog.user), joinedload(ScanLog.position))
        .order_by(ScanLog.at.desc(), ScanLog.id.desc()).limit(limit)
    )
    events = [Event(e.at, e.action, e.code.code, _who(e.user), e.note) for e in code_events]
    events += [
        Event(s.at, "scan", s.scanned_text, _who(s.user), _position(s)) for s in scans
    ]
    return sorted(events, key=lambda e: e.at, reverse=True)[:limit]


def code_history(asset: Asset) -> list[CodeEvent]:
    """Every event of the facility's codes, oldest first, from each code's issue and printing on: the full
    identity history."""
    its_codes = sa.select(IdentityCode.id).where(IdentityCode.asset_id == asset.id)
    return list(db.session.scalars(
        sa.select(CodeEvent).where(sa.or_(CodeEvent.asset_id == asset.id, CodeEvent.code_id.in_(its_codes)))
        .options(joinedload(CodeEvent.code), joinedload(CodeEvent.user))
        .order_by(CodeEvent.at, CodeEvent.id)
    ))


def _who(user) -> str:
    return user.display_name if user else ""


def _position(scan: ScanLog) -> str:
    where = scan.position
    if where is None:
        return ""
    accuracy = f" ±{where.accuracy_m:.0f} m" if where.accuracy_m is not None else ""
    return f"{where.lat:.5f}, {where.lon:.5f}{accuracy}"
