"""What a report covers and for which year, parsed from text, and who may see it.

A scope is written one way everywhere (the API's `scope=`, the form, the archive, the CLI):
  facility:<id> or facility:<identity code>, or just the code   one facility
  type:<type key>                                               every facility of a type, e.g. type:reservoir
  area:<area code or id>                                        every facility in an area and below it
  district                                                      everything
Bad text is a ValidationError or NotFound naming the field; a scope beyond what the person sees (auth.scope)
is refused.
"""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from ..assets import lookup
from ..assets.models import Area, Asset, find_area
from ..assets.types import TYPES
from ..auth import scope as visibility
from ..errors import NotFound, PermissionDenied, ValidationError

EARLIEST_YEAR = 2000


@dataclass(frozen=True)
class Scope:
    kind: str  # facility | type | area | district
    asset: Asset | None = None
    asset_type: str = ""
    area: Area | None = None

    @property
    def key(self) -> str:
        if self.kind == "facility":
            return f"facility:{self.asset.id}"
        if self.kind == "type":
            return f"type:{self.asset_type}"
        if self.kind == "area":
            return f"area:{self.area.code}"
        return "district"


@dataclass(frozen=True)
class SystemActor:
    """The scheduler making the 1 January reports: it sees everything, as an admin does."""
    id: None = None
    role: str = "admin"
    areas: tuple = ()
    teams: tuple = ()


def _refuse(field: str, message: str, error=ValidationError):
    raise error(message, {field: message})


def parse_year(text, today: date, field: str = "year") -> int:
    """A past or current year; a future one has no records to report."""
    text = str(text if text is not None else "").strip()
    if not text:
        _refuse(field, _("Give the year of the report."))
    if not text.isdigit() or len(text) > 4:
        _refuse(field, _("The year must be a number like 2025."))
    year = int(text)
    if year > today.year:
        _refuse(field, _("%(year)s lies in the future; a report covers a year that has begun.", year=year))
    if year < EARLIEST_YEAR:
        _refuse(field, _("The year must be %(earliest)s or later.", earliest=EARLIEST_YEAR))
    return year


def parse_scope(text, field: str = "scope") -> Scope:
    text = str(text or "").strip()
    if not text or text == "district":
        return Scope("district")
    kind, _sep, value = text.partition(":")
    value = value.strip()
    if kind == "type":
        if value not in TYPES:
            _refuse(field, _("unknown facility type %(type)s", type=value))
        return Scope("type", asset_type=value)
    if kind == "area":
        area = find_area(value) if value else None
        if area is None:
            _refuse(field, _("unknown area %(area)s", area=value), NotFound)
        return Scope("area", area=area)
    if kind == "facility" or not _sep:
        try:
            asset = lookup.find_asset(value if _sep else text, field)
        except lookup.NO_FACILITY:
            _refuse(field, _("no facility %(facility)s", facility=value if _sep else text), NotFound)
        return Scope("facility", asset=asset)
    _refuse(field, _("A scope is facility:<code>, type:<type>, area:<area> or district."))


def may_see(actor, scope: Scope) -> bool:
    return visibility.Scope.of(actor).allows(scope)


def check_visible(actor, scope: Scope, field: str = "scope") -> None:
    if not may_see(actor, scope):
        _refuse(field, _("This report covers facilities outside your areas."), PermissionDenied)

