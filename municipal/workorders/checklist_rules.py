"""Checklists as data: reading a template definition and judging a crew's answers. Pure.

A template is a list of typed items. Answers come as the strings a form sends; judging them gives
the clean values, the errors per item (as untranslated messages with their parameters) and the
findings: a failed pass/fail item, a number outside its range, or a choice marked as a finding.
"""
import math
from dataclasses import dataclass, field

from ..i18n import N_

ITEM_TYPES = ("pass_fail", "number", "choice", "note", "photo")
PHOTO_RULES = ("none", "optional", "required", "on_fail")
# What a pass/fail answer is called where people read it (a finding's value is stored as "fail").
RESULT_WORDS = {"pass": N_("OK"), "fail": N_("Problem")}
SEVERITIES = {"low": N_("Low"), "medium": N_("Medium"), "high": N_("High"), "critical": N_("Critical")}
# Work kinds a template can serve; repairs and rectifications use the maintenance templates.
TEMPLATE_KINDS = ("inspection", "maintenance")
NOTE_LIMIT = 2000


class DefinitionError(ValueError):
    """The checklist file itself is wrong: a mistake of whoever edited it, not of a user."""


@dataclass(frozen=True)
class Item:
    key: str
    type: str
    label: dict
    section: dict = field(default_factory=dict)
    hint: dict = field(default_factory=dict)
    required: bool = False
    photo: str = "none"
    unit: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple = ()
    severity: str | None = None
    follow_up: bool = False
    # What a failure is, worded as the problem; {} when the checklist gives no such wording.
    finding: dict = field(default_factory=dict)

    def choice(self, key: str) -> dict | None:
        return next((c for c in self.choices if c["key"] == key), None)


@dataclass(frozen=True)
class Finding:
    item_key: str
    severity: str
    value: str
    # Why it is a finding: "fail", "below", "above" or "choice".
    reason: str
    follow_up: bool


@dataclass
class Judgement:
    values: dict = field(default_factory=dict)  # item key -> clean value (bool, float, str) or None
    errors: dict = field(default_factory=dict)  # item key -> (message, params)
    findings: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(value, where: str) -> dict:
    if not isinstance(value, dict) or not value.get("zh") or not value.get("en"):
        raise DefinitionError(f"{where}: needs both zh and en text")
    return {"zh": str(value["zh"]), "en": str(value["en"])}


def parse_item(raw: dict, where: str) -> Item:
    if not isinstance(raw, dict) or not raw.get("key"):
        raise DefinitionError(f"{where}: an item needs a key")
    where = f"{where}.{raw['key']}"
    kind = raw.get("type")
    if kind not in ITEM_TYPES:
        raise DefinitionError(f"{where}: type must be one of {', '.join(ITEM_TYPES)}")
    photo = raw.get("photo", "none")
    if photo not in PHOTO_RULES:
        raise DefinitionError(f"{where}: photo must be one of {', '.join(PHOTO_RULES)}")
    judged = kind in ("pass_fail", "number", "choice")
    severity = raw.get("severity")
    if judged and severity not in SEVERITIES:
        raise DefinitionError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    choices = ()
    if kind == "choice":
        choices = tuple({"key": str(c["key"]), "zh": str(c["zh"]), "en": str(c["en"]), "finding": bool(c.get("finding"))}
                        for c in raw.get("choices") or [])
        if not choices or all(c["finding"] for c in choices):
            raise DefinitionError(f"{where}: a choice needs choices, at least one of them not a finding")
    bounds = [raw.get("min"), raw.get("max")]
    if kind != "number" and any(b is not None for b in bounds):
        raise DefinitionError(f"{where}: only numbers have a range")
    if all(b is not None for b in bounds) and bounds[0] > bounds[1]:
        raise DefinitionError(f"{where}: min is above max")
    return Item(
        key=str(raw["key"]), type=kind, label=_text(raw.get("label"), where),
        section=_text(raw["section"], where) if raw.get("section") else {},
        hint=_text(raw["hint"], where) if raw.get("hint") else {},
        required=bool(raw.get("required", False)), photo=photo, unit=str(raw.get("unit") or ""),
        min=None if bounds[0] is None else float(bounds[0]), max=None if bounds[1] is None else float(bounds[1]),
        choices=choices, severity=severity if judged else None, follow_up=bool(raw.get("follow_up")) and judged,
        finding=_text(raw["finding"], where) if raw.get("finding") and judged else {},
    )


def parse_template(raw: dict) -> dict:
    """A template definition checked and normalised, ready to store; DefinitionError names the place."""
    key = raw.get("key") if isinstance(raw, dict) else None
    if not key:
        raise DefinitionError("a template needs a key")
    if raw.get("kind") not in TEMPLATE_KINDS:
        raise DefinitionError(f"{key}: kind must be one of {', '.join(TEMPLATE_KINDS)}")
    items = [parse_item(item, key) for item in raw.get("items") or []]
    if not items:
        raise DefinitionError(f"{key}: a template needs items")
    if len({item.key for item in items}) != len(items):
        raise DefinitionError(f"{key}: item keys must be unique")
    return {
        "key": str(key), "asset_type": str(raw.get("asset_type") or "*"), "kind": raw["kind"],
        "name": _text(raw.get("name"), key), "source": str(raw.get("source") or ""),
        "items": [item_to_dict(item) for item in items],
    }


def item_to_dict(item: Item) -> dict:
    # Without a failure wording the item is stored as before it had one: its template's digest, and so its
    # version, stays the same.
    return {name: (list(value) if isinstance(value, tuple) else value) for name, value in item.__dict__.items()
            if name != "finding" or value}


def items_of(stored: list[dict]) -> list[Item]:
    return [Item(**{**raw, "choices": tuple(raw.get("choices") or ())}) for raw in stored]


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def judge(items: list[Item], answers: dict, photo_counts: dict, needs_repair: set = frozenset()) -> Judgement:
    """Judge the answers (item key -> text) and the photos taken per item (key -> count).

    `needs_repair` holds the keys of failed items the crew marked for repair: they open a
    follow-up work order even where the item does not do so by itself.
    """
    result = Judgement()
    for item in items:
        text = str(answers.get(item.key) or "").strip()
        value, failed, reason = None, False, ""
        if item.type == "pass_fail" and text:
            if text not in ("pass", "fail"):
                result.errors[item.key] = (N_("choose pass or fail"), {})
                continue
            value = text == "pass"
            failed, reason = not value, "fail"
        elif item.type == "number" and text:
            value = _number(text)
            if value is None:
                result.errors[item.key] = (N_("must be a number"), {})
                continue
            if item.min is not None and value < item.min:
                failed, reason = True, "below"
            elif item.max is not None and value > item.max:
                failed, reason = True, "above"
        elif item.type == "choice" and text:
            choice = item.choice(text)
            if choice is None:
                result.errors[item.key] = (N_("not one of the choices"), {})
                continue
            value, failed, reason = text, choice["finding"], "choice"
        elif item.type == "note" and text:
            if len(text) > NOTE_LIMIT:
                result.errors[item.key] = (N_("at most %(n)s characters"), {"n": NOTE_LIMIT})
                continue
            value = text
        photos = photo_counts.get(item.key, 0)
        if item.type == "photo":
            value = photos or None
        if item.required and value is None:
            message = N_("a photo is required") if item.type == "photo" else N_("this item must be answered")
            result.errors[item.key] = (message, {})
            continue
        if not photos and (item.photo == "required" or (item.photo == "on_fail" and failed)):
            result.errors[item.key] = (N_("a photo is required"), {})
            continue
        result.values[item.key] = value
        if failed:
            result.findings.append(Finding(item.key, item.severity, _shown(value, item), reason,
                                           item.follow_up or item.key in needs_repair))
    return result


def _shown(value, item: Item) -> str:
    if isinstance(value, bool):
        return "fail" if not value else "pass"
    if isinstance(value, float):
        number = f"{value:g}"
        return f"{number} {item.unit}".strip()
    return str(value)
