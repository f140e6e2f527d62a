"""What a report's category means: which fit each type of facility, which words make it urgent, and its
deadlines. Plain data and functions of it; the settings come in as arguments."""
from datetime import datetime, timedelta

from ..i18n import N_

ALL = ("damaged", "blocked", "leaking", "dirty", "dangerous", "crack", "cover_missing", "flooding", "other")
# A reservoir is not a public toilet: each type offers the problems it can have, most likely first.
BY_TYPE = {
    "reservoir": ("crack", "leaking", "dangerous", "dirty", "other"),
    "river_segment": ("blocked", "dirty", "flooding", "dangerous", "other"),
    "water_pipe": ("leaking", "damaged", "other"),
    "sewer_segment": ("blocked", "leaking", "flooding", "other"),
    "manhole": ("cover_missing", "damaged", "blocked", "flooding", "other"),
    "road_segment": ("crack", "damaged", "flooding", "dangerous", "other"),
    "bridge": ("crack", "damaged", "dangerous", "other"),
    "pump_station": ("damaged", "leaking", "dangerous", "other"),
    "water_station": ("leaking", "damaged", "other"),
    "public_toilet": ("dirty", "blocked", "damaged", "leaking", "other"),
    "old_building": ("crack", "damaged", "dangerous", "other"),
}
PLACEHOLDERS = {
    "reservoir": N_("For example: a crack on the dam crest, water seeping at its foot"),
    "river_segment": N_("For example: rubbish blocks the channel under the bridge"),
    "manhole": N_("For example: the manhole cover is missing"),
    "road_segment": N_("For example: the road surface has sunk in front of number 12"),
    "bridge": N_("For example: the railing is broken"),
    "public_toilet": N_("For example: the washbasin is blocked"),
    "old_building": N_("For example: the wall has a new crack"),
}
DEFAULT_PLACEHOLDER = N_("For example: the manhole cover is broken")

# Words that make a report urgent whatever its category, and more per category.
URGENT_WORDS = ("塌陷", "溃", "冒水", "井盖缺失", "没有井盖", "触电", "起火")
URGENT_BY_CATEGORY = {
    "crack": ("裂缝", "坍塌", "沉降"),
    "leaking": ("漏水", "渗水", "管涌"),
    "cover_missing": ("井盖",),
    "flooding": ("倒灌", "积水过膝"),
    "dangerous": ("危险",),
}
# A category that is urgent in itself, and one that starts higher than normal.
BASE_PRIORITY = {"cover_missing": "urgent", "dangerous": "high", "crack": "high"}
PRIORITY_ORDER = ("low", "normal", "high", "urgent")


def categories_for(asset_type: str | None) -> tuple[str, ...]:
    return BY_TYPE.get(asset_type or "", ALL)


def placeholder_for(asset_type: str | None) -> str:
    return PLACEHOLDERS.get(asset_type or "", DEFAULT_PLACEHOLDER)


def urgent_words(category: str, text: str) -> list[str]:
    """The urgent words found in a report's text, for its category; a word inside a longer one found is left
    out (井盖 within 井盖缺失)."""
    found = [word for word in dict.fromkeys((*URGENT_WORDS, *URGENT_BY_CATEGORY.get(category, ())))
             if word in (text or "")]
    return [word for word in found if not any(word != other and word in other for other in found)]


def suggested_priority(category: str, text: str) -> str:
    """The category's own priority, raised to urgent by an urgent word."""
    return "urgent" if urgent_words(category, text) else BASE_PRIORITY.get(category, "normal")


def higher(a: str, b: str) -> str:
    return max(a, b, key=PRIORITY_ORDER.index)


def deadlines(category: str, priority: str, created_at: datetime, table: dict) -> tuple[datetime, datetime]:
    """(respond by, fix by) from the SLA table {category or "*": {"response": hours, "fix": hours}}. An urgent
    report gets the urgent category's deadlines when they are shorter."""
    sla = table.get(category, table["*"])
    response, fix = sla["response"], sla["fix"]
    if priority == "urgent" and "urgent" in table:
        response, fix = min(response, table["urgent"]["response"]), min(fix, table["urgent"]["fix"])
    return created_at + timedelta(hours=response), created_at + timedelta(hours=fix)
