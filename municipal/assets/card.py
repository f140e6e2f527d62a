"""What a facility's card says, as (kind, label, text) rows: shared by the public card and the staff page.

Built in Python rather than in the template because the public card is the busiest page there
is, and a template walking every attribute of a type with a translation call each costs more
than the rest of the request. Knows nothing of Flask: the caller passes its gettext.
"""
from dataclasses import dataclass
from typing import Callable

from .types import LEVEL_LABELS, ROLE_LABELS, STATUSES, TYPES, derived, format_chainage, value_label


@dataclass(frozen=True)
class Fact:
    kind: str  # "status" and "code" are shown specially; anything else as plain text
    label: str
    text: str


@dataclass(frozen=True)
class Person:
    role: str
    name: str
    position: str
    phone: str
    unit: str = ""


def wan_m3(value) -> str:
    """Capacities in 万m³, the unit people in the district use."""
    if value is None:
        return ""
    return f"{value / 10000:,.2f}".rstrip("0").rstrip(".")


def plain_number(value):
    """18.0 reads as 18: whole numbers are shown without a decimal point."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def facts(asset, code: str | None, locale: str, gettext: Callable[[str], str]) -> list[Fact]:
    """`asset` is an Asset or anything with its attributes (the public card's lean record)."""
    asset_type = TYPES[asset.type]
    kind = gettext(asset_type.label)
    scale = derived(asset.type, asset.attributes, asset.persons).get("scale_class")
    rows = [
        Fact("text", gettext("Type"), f"{kind} · {value_label(scale, gettext)}" if scale else kind),
        Fact("status", gettext("Status"), gettext(STATUSES.get(asset.status, asset.status))),
    ]
    if asset.area is not None:
        rows.append(Fact("text", gettext("Area"), asset.area.display_name(locale)))
    if asset.address:
        rows.append(Fact("text", gettext("Location"), asset.address))
    if asset.chainage_start_m is not None:
        chainage = f"{format_chainage(asset.chainage_start_m)} – {format_chainage(asset.chainage_end_m)}"
        rows.append(Fact("text", gettext("Chainage"), chainage))
    rows.append(Fact("text", gettext("Owner unit"), asset.owner_unit or "—"))
    rows.append(Fact("text", gettext("Maintenance unit"), asset.maintenance_unit or "—"))
    for attr in asset_type.attributes:
        value = asset.attributes.get(attr.name)
        if value is None or value == "":
            continue
        if attr.name == "capacity_m3":
            text = f"{wan_m3(value)} 万m³"
        elif attr.kind == "choice":
            text = value_label(value, gettext)
        elif attr.kind == "period":
            text = f"{value['start']} – {value['end']}"
        else:
            text = f"{plain_number(value)} {attr.unit}".rstrip()
        rows.append(Fact("text", gettext(attr.label), text))
    if code:
        rows.append(Fact("code", gettext("Identity code"), code))
    return rows


def persons(asset, gettext: Callable[[str], str]) -> list[Person]:
    """Who answers for it, with the phone given for 公示 (an office or duty line): the public card shows them as
    the law asks. Nothing comes from a linked user account."""
    result = []
    for p in asset.persons:
        role = gettext(ROLE_LABELS.get(p.role, p.role))
        if p.level:
            role = f"{role} · {gettext(LEVEL_LABELS.get(p.level, p.level))}"
        result.append(Person(role, p.name, p.position or "", p.phone or "", p.unit or ""))
    return result
