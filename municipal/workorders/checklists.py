"""Checklist templates: loaded from checklists.yaml into the database, chosen for a work order.

The file is the district's source of truth. Loading it again stores a changed template as a new
version and retires the old one; inspections keep pointing at the version they were done with.
"""
import hashlib
import json
from pathlib import Path

import sqlalchemy as sa
import yaml

from ..audit.services import record
from ..extensions import db
from . import checklist_rules
from .models import ChecklistTemplate

CHECKLIST_FILE = Path(__file__).with_name("checklists.yaml")


def read_definitions(path: Path = CHECKLIST_FILE) -> list[dict]:
    """Every template in the file, checked; DefinitionError names the first mistake."""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    templates = [checklist_rules.parse_template(raw) for raw in document.get("templates") or []]
    keys = [t["key"] for t in templates]
    if len(set(keys)) != len(keys):
        raise checklist_rules.DefinitionError("template keys must be unique")
    return templates


def _digest(definition: dict) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def sync_templates(path: Path = CHECKLIST_FILE) -> dict:
    """Bring the stored templates in line with the file; returns counts of created, updated, unchanged."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    current = {t.key: t for t in db.session.scalars(sa.select(ChecklistTemplate).where(ChecklistTemplate.active))}
    for definition in read_definitions(path):
        digest = _digest(definition)
        old = current.get(definition["key"])
        if old is not None and old.digest == digest:
            counts["unchanged"] += 1
            continue
        latest = db.session.scalar(sa.select(sa.func.max(ChecklistTemplate.version))
                                   .where(ChecklistTemplate.key == definition["key"])) or 0
        if old is not None:
            old.active = False
        template = ChecklistTemplate(
            key=definition["key"], version=latest + 1, asset_type=definition["asset_type"], kind=definition["kind"],
            name_zh=definition["name"]["zh"], name_en=definition["name"]["en"], source=definition["source"],
            items=definition["items"], digest=digest, active=True,
        )
        db.session.add(template)
        db.session.flush()
        record(None, "checklist_template", template.id, "create" if old is None else "new_version",
               {"key": [None, template.key], "version": [old.version if old else None, template.version],
                "items": [len(old.items) if old else None, len(template.items)]})
        counts["created" if old is None else "updated"] += 1
    return counts


def template_for(asset_type: str, work_kind: str) -> ChecklistTemplate | None:
    """The active template a new work order of this kind at this type of facility uses by default.

    Inspections use the type's inspection checklist; every other kind of work (maintenance, repair,
    rectification, a citizen's report) the type's maintenance checklist, or the general one; office tasks none.
    """
    if work_kind == "office":
        return None  # desk work has its papers, not a checklist to tick on site
    kind = "inspection" if work_kind == "inspection" else "maintenance"
    candidates = list(db.session.scalars(sa.select(ChecklistTemplate).where(
        ChecklistTemplate.active, ChecklistTemplate.kind == kind,
        ChecklistTemplate.asset_type.in_([asset_type, "*"]))))
    candidates.sort(key=lambda t: (t.asset_type == "*", t.key))
    return candidates[0] if candidates else None


def active_templates() -> list[ChecklistTemplate]:
    return list(db.session.scalars(sa.select(ChecklistTemplate).where(ChecklistTemplate.active)
                                   .order_by(ChecklistTemplate.asset_type, ChecklistTemplate.key)))
