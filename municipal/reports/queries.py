"""The numbers and lists of an annual report, read from the year's records: one facility's (facility.py), or a
summary of many (district.py) with a chapter per reservoir. No rendering, no locale.

Inspection counts come from the compliance queries (calendar/compliance.py) with the same filters the
compliance page uses, so a report and that page always agree for the same scope and year. Values are
plain: dicts, lists, dates, numbers and compliance Counts; keys (kinds, severities, types) stay keys, for
the page to name in the reader's language.
"""
from datetime import datetime

from .district import district_report, type_reservoirs
from .facility import facility_report
from .records import live_on, platform
from .scope import Scope

# How many reservoirs an all-reservoirs report gives a chapter each; a district has tens.
CHAPTER_LIMIT = 100


def annual(actor, scope: Scope, year: int, cutoff: datetime) -> dict:
    """The whole report: a facility's own, or a summary of many (with a chapter per reservoir when the
    scope is the reservoirs)."""
    went_live = platform(year, live_on())
    if scope.kind == "facility":
        return {"kind": "facility", "year": year, "scope": scope, "cutoff": cutoff, "platform": went_live,
                "facilities": [facility_report(actor, scope.asset, year, cutoff)]}
    chapters, total = [], 0
    if scope.kind == "type" and scope.asset_type == "reservoir":
        reservoirs = type_reservoirs(scope)
        total = len(reservoirs)
        chapters = [facility_report(actor, asset, year, cutoff) for asset in reservoirs[:CHAPTER_LIMIT]]
    return {"kind": "summary", "year": year, "scope": scope, "cutoff": cutoff, "platform": went_live,
            "summary": district_report(actor, scope, year, cutoff), "facilities": chapters,
            "chapters_total": total}
