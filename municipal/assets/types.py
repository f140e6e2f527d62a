"""Asset types and their typed attributes, declared in one place.

Pure: no database, no app. Labels and messages are English msgids marked with
N_ so the catalogue extraction finds them; callers translate at display time.
Attribute names follow ../shared/domain/calendar-preview.md where it names them.
"""
import math
from dataclasses import dataclass
from datetime import date

from ..i18n import N_


class Invalid(ValueError):
    """Bad attribute value: `template` is an N_-marked msgid, `params` fill it in."""

    def __init__(self, template: str, **params):
        super().__init__(template % params if params else template)
        self.template = template
        self.params = params


@dataclass(frozen=True)
class Attr:
    name: str
    label: str
    kind: str  # number | integer | text | date | choice | period
    unit: str = ""
    required: bool = False
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class AssetType:
    key: str
    prefix: str
    label: str
    geometry: str  # Point | LineString
    attributes: tuple = ()
    # (role, levels): who answers for the facility; levels empty when the role has none.
    roles: tuple = ()

    @property
    def linear(self) -> bool:
        return self.geometry == "LineString"

    def attribute(self, name: str) -> Attr | None:
        return next((a for a in self.attributes if a.name == name), None)


DAM_TYPES = ("土坝", "土石坝", "堆石坝", "混凝土坝", "浆砌石坝", "砌石坝", "其他")
KEY_LINK_STATES = ("已落实", "未落实")
RESERVOIR_ROLES = (("administrative", ()), ("technical", ()), ("patrol", ()))
RIVER_LEVELS = ("district", "township", "village", "river_keeper")
ROAD_LEVELS = ("county", "township", "village")
MATERIALS = ("球墨铸铁", "钢", "PE", "PVC", "HDPE", "钢筋混凝土", "混凝土", "其他")

ROLE_LABELS = {
    "administrative": N_("Administrative responsible person"),
    "technical": N_("Technical responsible person"),
    "patrol": N_("Patrol responsible person"),
    "chief": N_("Chief"),
    "manager": N_("Person in charge"),
    "building_chief": N_("Building chief"),
    "toilet_chief": N_("Toilet chief"),
}
LEVEL_LABELS = {
    "district": N_("District level"),
    "county": N_("District level"),
    "township": N_("Town level"),
    "village": N_("Village level"),
    "river_keeper": N_("River keeper"),
}

_length = Attr("length_m", N_("Length"), "number", unit="m", minimum=0)

TYPES = {
    t.key: t
    for t in (
        AssetType("reservoir", "RSV", N_("Reservoir"), "Point", (
            Attr("capacity_m3", N_("Total capacity"), "number", unit="m³", required=True, minimum=0),
            Attr("dam_height_m", N_("Dam height"), "number", unit="m", required=True, minimum=0, maximum=300),
            Attr("dam_type", N_("Dam type"), "choice", required=True, choices=DAM_TYPES),
            Attr("completion_acceptance", N_("Completion acceptance"), "date"),
            Attr("impoundment_acceptance", N_("Impoundment acceptance"), "date"),
            Attr("first_impoundment_operation", N_("First impoundment operation"), "date"),
            Attr("first_impoundment_period", N_("First impoundment period"), "period"),
            Attr("flood_limit_level_m", N_("Flood limit water level"), "number", unit="m"),
            # Elevations on the same datum as the flood limit: the lines of the water-level chart, and the
            # range a gauge's reading must fall in (readings/rules.py).
            Attr("normal_level_m", N_("Normal pool level"), "number", unit="m"),
            Attr("dam_crest_level_m", N_("Dam crest elevation"), "number", unit="m"),
            Attr("bed_level_m", N_("Reservoir bed elevation"), "number", unit="m"),
            # 三个重点环节 of small reservoirs: the annual report shows each, or that it is missing.
            Attr("rain_level_reporting", N_("Rain and water-level reporting"), "choice", choices=KEY_LINK_STATES),
            Attr("dispatch_plan_approved", N_("Dispatch plan approved"), "date"),
            Attr("emergency_plan_approved", N_("Emergency plan approved"), "date"),
        ), RESERVOIR_ROLES),
        AssetType("river_segment", "RVR", N_("River segment"), "LineString", (
            Attr("river_name", N_("River"), "text"),
            _length,
        ), (("chief", RIVER_LEVELS),)),
        AssetType("water_pipe", "WPP", N_("Water pipe"), "LineString", (
            Attr("diameter_mm", N_("Diameter"), "integer", unit="mm", minimum=1, maximum=5000),
            Attr("material", N_("Material"), "choice", choices=MATERIALS),
            _length,
            Attr("installed_on", N_("Installed on"), "date"),
        )),
        AssetType("sewer_segment", "SWR", N_("Sewer segment"), "LineString", (
            Attr("diameter_mm", N_("Diameter"), "integer", unit="mm", minimum=1, maximum=5000),
            Attr("material", N_("Material"), "choice", choices=MATERIALS),
            Attr("sewer_kind", N_("Sewer kind"), "choice", choices=("雨水", "污水", "合流")),
            _length,
            Attr("installed_on", N_("Installed on"), "date"),
        )),
        AssetType("manhole", "MH", N_("Manhole"), "Point", (
            Attr("network", N_("Network"), "choice", choices=("雨水", "污水", "合流", "给水", "电力", "通信")),
            Attr("depth_m", N_("Depth"), "number", unit="m", minimum=0, maximum=50),
            Attr("cover_material", N_("Cover material"), "choice", choices=("球墨铸铁", "复合材料", "混凝土", "钢")),
        )),
        AssetType("road_segment", "RD", N_("Road segment"), "LineString", (
            Attr("road_name", N_("Road"), "text"),
            Attr("road_class", N_("Road class"), "choice", choices=("快速路", "主干路", "次干路", "支路", "县道", "乡道", "村道")),
            _length,
            Attr("width_m", N_("Width"), "number", unit="m", minimum=0, maximum=200),
        ), (("chief", ROAD_LEVELS),)),
        AssetType("bridge", "BRG", N_("Bridge"), "Point", (
            Attr("regime", N_("Inspection regime"), "choice", required=True, choices=("JTG", "CJJ99")),
            Attr("maint_level", N_("Maintenance level (JTG)"), "choice", choices=("Ⅰ", "Ⅱ", "Ⅲ")),
            Attr("maint_category", N_("Maintenance category (CJJ 99)"), "choice", choices=("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ")),
            Attr("opening_date", N_("Opened to traffic"), "date"),
            Attr("span_m", N_("Total length"), "number", unit="m", minimum=0),
        )),
        AssetType("pump_station", "PMP", N_("Pump station"), "Point", (
            Attr("design_flow_m3_per_h", N_("Design flow"), "number", unit="m³/h", minimum=0),
            Attr("pumps", N_("Number of pumps"), "integer", minimum=0, maximum=100),
        )),
        AssetType("water_station", "WST", N_("Water station"), "Point", (
            Attr("supply_m3_per_day", N_("Supply capacity"), "number", unit="m³/d", minimum=0),
        )),
        AssetType("public_toilet", "WC", N_("Public toilet"), "Point", (
            Attr("toilet_class", N_("Class"), "choice", choices=("一类", "二类", "三类")),
            Attr("stalls", N_("Stalls"), "integer", minimum=0, maximum=500),
            Attr("opening_hours", N_("Opening hours"), "text"),
        ), (("toilet_chief", ()),)),
        AssetType("old_building", "HSE", N_("Old building"), "Point", (
            Attr("built_year", N_("Year built"), "integer", minimum=1000, maximum=2100),
            Attr("floors", N_("Floors"), "integer", minimum=1, maximum=100),
            Attr("structure", N_("Structure"), "choice", choices=("砖木", "砖混", "木结构", "石结构", "钢筋混凝土", "其他")),
            Attr("grade", N_("Safety grade"), "choice", choices=("A", "B", "C", "D")),
        ), (("building_chief", ()),)),
    )
}

# Any facility may also name a person in charge besides the roles of its type.
GENERAL_ROLE = "manager"
# Who walks the facility, and so may be given its field work when no assignment rule says otherwise.
PATROL_ROLES = {"reservoir": ("patrol", None), "river_segment": ("chief", "river_keeper"),
                "old_building": ("building_chief", None), "public_toilet": ("toilet_chief", None)}


def person_roles(type_key: str) -> tuple[str, ...]:
    """The roles a facility's persons take, as the persons API names them: a chief by their level."""
    names = []
    for role, levels in TYPES[type_key].roles:
        names += list(levels) if levels else [role]
    return (*names, GENERAL_ROLE)


def stored_role(type_key: str, role) -> tuple[str, str | None] | None:
    """(role, level) as stored for a role the persons API names, or None when the type has no such role."""
    for known, levels in TYPES[type_key].roles:
        if role in levels:
            return known, role
        if role == known and not levels:
            return known, None
    return (GENERAL_ROLE, None) if role == GENERAL_ROLE else None


def api_role(role: str, level: str | None) -> str:
    return level if role == "chief" and level else role


PREFIXES = {t.prefix: t.key for t in TYPES.values()}

STATUSES = {
    "planned": N_("Planned"),
    "in_service": N_("In service"),
    "under_repair": N_("Under repair"),
    "out_of_service": N_("Out of service"),
    "decommissioned": N_("Decommissioned"),
}

CODE_STATUSES = {"unbound": N_("unbound"), "bound": N_("bound"), "revoked": N_("revoked")}

# The levels of the area tree, top down; an area's level lies below its parent's.
AREA_LEVELS = ("district", "town", "village")

# SL 252 scale classes by total capacity: lower bound inclusive, upper exclusive (rules §1.1).
SCALE_CLASSES = (
    (1_000_000_000, "大(1)型"),
    (100_000_000, "大(2)型"),
    (10_000_000, "中型"),
    (1_000_000, "小(1)型"),
    (100_000, "小(2)型"),
)


# The registers' own words are stored as written (they are what CSV files and the regulations say); these
# are their msgids, so an English page does not show them in Chinese.
VALUE_LABELS = {
    "土坝": N_("Earth dam"), "土石坝": N_("Earth-rock dam"), "堆石坝": N_("Rockfill dam"),
    "混凝土坝": N_("Concrete dam"), "浆砌石坝": N_("Mortared masonry dam"), "砌石坝": N_("Masonry dam"),
    "其他": N_("Other"), "已落实": N_("In place"), "未落实": N_("Not in place"),
    "球墨铸铁": N_("Ductile iron"), "钢": N_("Steel"), "钢筋混凝土": N_("Reinforced concrete"), "混凝土": N_("Concrete"),
    "复合材料": N_("Composite"), "雨水": N_("Storm water"), "污水": N_("Sewage"), "合流": N_("Combined"),
    "给水": N_("Water supply"), "电力": N_("Power"), "通信": N_("Telecommunications"),
    "快速路": N_("Expressway"), "主干路": N_("Arterial road"), "次干路": N_("Secondary road"), "支路": N_("Branch road"),
    "县道": N_("County road"), "乡道": N_("Township road"), "村道": N_("Village road"),
    "一类": N_("Class 1"), "二类": N_("Class 2"), "三类": N_("Class 3"),
    "砖木": N_("Brick and timber"), "砖混": N_("Brick and concrete"), "木结构": N_("Timber"), "石结构": N_("Stone"),
    "大(1)型": N_("Large (1)"), "大(2)型": N_("Large (2)"), "中型": N_("Medium-sized"), "小(1)型": N_("Small (1)"),
    "小(2)型": N_("Small (2)"),
}


def value_label(value, gettext):
    """A stored value of the registers' vocabulary in the reader's words; any other value as it is."""
    return gettext(VALUE_LABELS[value]) if isinstance(value, str) and value in VALUE_LABELS else value


def scale_class(capacity_m3: float | None) -> str | None:
    """小(2)型 … 大(1)型, or None below 10万 m³ (a pond, not a registered reservoir)."""
    if capacity_m3 is None:
        return None
    for lower, name in SCALE_CLASSES:
        if capacity_m3 >= lower:
            return name
    return None


def clean_value(attr: Attr, raw):
    """The typed value for `raw`, or Invalid saying what is wrong."""
    if raw is None or raw == "":
        if attr.required:
            raise Invalid(N_("is required"))
        return None
    if attr.kind in ("number", "integer"):
        value = _number(attr, raw)
        if attr.minimum is not None and value < attr.minimum:
            raise Invalid(N_("must be at least %(minimum)s %(unit)s"), minimum=attr.minimum, unit=attr.unit)
        if attr.maximum is not None and value > attr.maximum:
            raise Invalid(N_("must be at most %(maximum)s %(unit)s"), maximum=attr.maximum, unit=attr.unit)
        return value
    if attr.kind == "text":
        if not isinstance(raw, str):
            raise Invalid(N_("must be text"))
        return raw.strip()[:500]
    if attr.kind == "date":
        return parse_date(raw).isoformat()
    if attr.kind == "choice":
        if raw not in attr.choices:
            raise Invalid(N_("must be one of: %(choices)s"), choices=", ".join(attr.choices))
        return raw
    if attr.kind == "period":
        if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
            raise Invalid(N_("must have a start and an end date"))
        start, end = parse_date(raw["start"]), parse_date(raw["end"])
        if end < start:
            raise Invalid(N_("ends before it starts"))
        return {"start": start.isoformat(), "end": end.isoformat()}
    raise AssertionError(attr.kind)


def _number(attr: Attr, raw):
    if isinstance(raw, bool):
        raise Invalid(N_("must be a number"))
    if isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if attr.unit and text.endswith(attr.unit):
            text = text[: -len(attr.unit)].strip()
        try:
            raw = float(text)
        except (ValueError, OverflowError):
            raise Invalid(N_("must be a number in %(unit)s"), unit=attr.unit or "-") from None
    try:
        finite = isinstance(raw, (int, float)) and math.isfinite(raw)
    except OverflowError:
        finite = False
    if not finite:
        raise Invalid(N_("must be a number"))
    if attr.kind == "integer":
        if int(raw) != raw:
            raise Invalid(N_("must be a whole number"))
        return int(raw)
    return float(raw)


def parse_date(raw) -> date:
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise Invalid(N_("must be a date (YYYY-MM-DD)"))
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(N_("is not a date that exists (YYYY-MM-DD): %(value)s"), value=raw) from None


def clean_attributes(type_key: str, raw: dict) -> tuple[dict, dict]:
    """Validate all attributes of one asset: (cleaned values, {name: Invalid})."""
    asset_type = TYPES[type_key]
    cleaned, errors = {}, {}
    for name in raw:
        if asset_type.attribute(name) is None:
            errors[name] = Invalid(N_("is not an attribute of this type"))
    for attr in asset_type.attributes:
        try:
            value = clean_value(attr, raw.get(attr.name))
        except Invalid as error:
            errors[attr.name] = error
            continue
        if value is not None:
            cleaned[attr.name] = value
    return cleaned, errors


def derived(type_key: str, attributes: dict, persons=()) -> dict:
    """Values computed from the facts, never typed in."""
    result = {}
    if type_key == "reservoir":
        result["scale_class"] = scale_class(attributes.get("capacity_m3"))
    if type_key in ("river_segment", "road_segment"):
        result["chiefs"] = [
            {"level": p.level, "river_chief_day": bool(p.river_chief_day)} for p in persons if p.role == "chief"
        ]
    return result


def format_chainage(metres: float | None) -> str:
    """K1+250 for 1250 m."""
    if metres is None:
        return ""
    whole = round(metres)
    return f"K{whole // 1000}+{whole % 1000:03d}"


def parse_chainage(text) -> float | None:
    """Metres from 'K1+250', '1+250' or a plain number of metres."""
    if text is None or str(text).strip() == "":
        return None
    value = str(text).strip().upper().lstrip("K")
    try:
        if "+" in value:
            km, metres = value.split("+", 1)
            metres_total = int(km) * 1000 + float(metres)
        else:
            metres_total = float(value)
    except (ValueError, OverflowError):
        raise Invalid(N_("is not a chainage like K1+250: %(value)s"), value=text) from None
    # float() reads "inf", "nan" and "-5" too: none of them is a place along a line.
    if not math.isfinite(metres_total) or metres_total < 0:
        raise Invalid(N_("is not a chainage like K1+250: %(value)s"), value=text)
    return metres_total
