"""The registry's file format, shared by imports and exports: the columns and their Chinese headers, the type and
status labels, and the guard that keeps a spreadsheet from running a cell as a formula."""
import re

from ..types import TYPES, api_role


# The one column table: field → Chinese header. The field is also the English header
# and the GeoJSON property name.
COLUMNS = {
    "code": "编码",
    "url": "扫码地址",
    "type": "类型",
    "name": "名称",
    "area": "所属区域",
    "status": "状态",
    "owner_unit": "产权单位",
    "maintenance_unit": "管养单位",
    "address": "地址",
    "lon": "经度",
    "lat": "纬度",
    "geometry": "几何",
    "chainage_start": "起点桩号",
    "chainage_end": "终点桩号",
    "in_service_on": "投用日期",
    # The responsible persons as JSON, the shape of GET /api/v1/assets/<id>/persons: [{"role", "name", …}].
    "persons": "责任人",
}
# Type attributes, as columns `attr.<name>`: the Chinese header is the zh translation of the
# attribute's label in types.py. Written out rather than looked up through gettext so that a
# file's meaning never depends on the installed catalogue; a test keeps the two in step.
ATTRIBUTE_HEADERS = {
    "capacity_m3": "总库容",
    "dam_height_m": "坝高",
    "dam_type": "坝型",
    "completion_acceptance": "竣工验收",
    "impoundment_acceptance": "蓄水验收",
    "first_impoundment_operation": "初次蓄水运行",
    "first_impoundment_period": "初蓄期",
    "flood_limit_level_m": "汛限水位",
    "normal_level_m": "正常蓄水位",
    "dam_crest_level_m": "坝顶高程",
    "bed_level_m": "库底高程",
    "rain_level_reporting": "雨水情测报",
    "dispatch_plan_approved": "调度运用方案批复日期",
    "emergency_plan_approved": "应急预案批复日期",
    "river_name": "河流",
    "length_m": "长度",
    "diameter_mm": "管径",
    "material": "材质",
    "installed_on": "敷设日期",
    "sewer_kind": "排水类别",
    "network": "管网",
    "depth_m": "井深",
    "cover_material": "井盖材质",
    "road_name": "道路",
    "road_class": "道路等级",
    "width_m": "宽度",
    "regime": "检测规范",
    "maint_level": "养护等级（JTG）",
    "maint_category": "养护类别（CJJ 99）",
    "opening_date": "通车日期",
    "span_m": "桥长",
    "design_flow_m3_per_h": "设计流量",
    "pumps": "水泵台数",
    "supply_m3_per_day": "供水能力",
    "toilet_class": "类别",
    "stalls": "厕位数",
    "opening_hours": "开放时间",
    "built_year": "建成年份",
    "floors": "层数",
    "structure": "结构",
    "grade": "安全等级",
}
ALL_COLUMNS = {**COLUMNS, **{f"attr.{name}": header for name, header in ATTRIBUTE_HEADERS.items()}}
FIELD_BY_HEADER = {**{field: field for field in ALL_COLUMNS}, **{zh: field for field, zh in ALL_COLUMNS.items()}}
REQUIRED_COLUMNS = ("type", "name")
# GeoJSON carries the position in the feature's geometry, not in properties.
GEOJSON_PROPERTIES = frozenset(ALL_COLUMNS) - {"lon", "lat", "geometry"}
PERSON_KEYS = ("role", "name", "unit", "position", "phone", "user_id", "river_chief_day")


def person_cells(type_key: str, persons) -> list[dict]:
    """A facility's persons as a file carries them: roles as the persons API names them, empty values left out."""
    out = []
    for p in persons:
        values = {"role": api_role(p.role, p.level), "name": p.name, "unit": p.unit, "position": p.position,
                  "phone": p.phone, "user_id": p.user_id,
                  "river_chief_day": p.river_chief_day if type_key == "river_segment" else None}
        out.append({key: values[key] for key in PERSON_KEYS if values[key] not in (None, "", False)})
    return out

# Type and status values: the key or the Chinese label (the zh translation of types.py's label).
TYPE_LABELS = {
    "reservoir": "水库",
    "river_segment": "河段",
    "water_pipe": "供水管道",
    "sewer_segment": "排水管段",
    "manhole": "检查井",
    "road_segment": "道路路段",
    "bridge": "桥梁",
    "pump_station": "泵站",
    "water_station": "水厂（站）",
    "public_toilet": "公共厕所",
    "old_building": "老旧建筑",
}
STATUS_LABELS = {
    "planned": "规划中",
    "in_service": "在用",
    "under_repair": "维修中",
    "out_of_service": "停用",
    "decommissioned": "已报废",
}
TYPE_BY_TEXT = {**{key: key for key in TYPE_LABELS}, **{zh: key for key, zh in TYPE_LABELS.items()}}
STATUS_BY_TEXT = {**{key: key for key in STATUS_LABELS}, **{zh: key for key, zh in STATUS_LABELS.items()}}
# A period is an object in the registry and "start/end" (ISO 8601 interval) in a file cell.
PERIOD_ATTRIBUTES = {a.name for t in TYPES.values() for a in t.attributes if a.kind == "period"}
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FIELDS = {"in_service_on"} | {f"attr.{a.name}" for t in TYPES.values() for a in t.attributes if a.kind == "date"}
# Excel turns 2015-06-01 into a date and saves it back as the Chinese short date 2015/6/1.
EXCEL_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")

CHUNK = 1000
PROGRESS_EVERY = 10_000
MAX_LISTED = 200
# Placeholders per IN (...) query: well below SQLite's and PostgreSQL's limits.
IN_CHUNK = 500


def no_progress(step: str, done: int, total: int | None) -> None:
    pass


def guard(value):
    """A text cell that a spreadsheet would run as a formula (CSV injection), with a leading ' so it shows as
    the text it is. Numbers are written as numbers: a negative number in a numeric column (a water level
    below its datum) stays -3.5, which a spreadsheet reads as a number, not a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unguard(cell: str) -> str:
    """The text an exported cell guarded with guard stood for: an exported file imports back unchanged."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
