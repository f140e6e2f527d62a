"""The append-only, hash-chained audit trail: who changed what, when, from what to what."""


def init_app(app) -> None:
    """Give templates the trail of any entity, so a page shows it without its view fetching it; and
    record the trail's end with every commit that appended to it."""
    import sqlalchemy as sa
    from flask import request, url_for
    from flask_babel import gettext as _

    from ..assets.types import STATUSES as ASSET_STATUSES
    from ..assets.types import TYPES, value_label
    from ..calendar.engine.wording import KINDS as CALENDAR_KINDS
    from ..calendar.engine.wording import RESULT_LABELS
    from ..workorders import states
    from .services import ACTION_LABELS, FIELD_LABELS, anchor_head, display_value, entries_page

    if not sa.event.contains(sa.orm.Session, "before_commit", anchor_head):
        sa.event.listen(sa.orm.Session, "before_commit", anchor_head)

    # Recorded values that are keys of a vocabulary are shown in the reader's words.
    vocabularies = {
        ("asset", "status"): ASSET_STATUSES,
        ("work_order", "status"): states.STATUSES,
        ("work_order", "priority"): states.PRIORITIES,
        ("work_order", "kind"): states.KINDS,
        ("work_order", "source"): states.SOURCES,
        # A facility's recorded history: what was done and the appraisal's result.
        ("asset", "kind"): CALENDAR_KINDS,
        ("asset", "result"): RESULT_LABELS,
    }

    attribute_labels = {attr.name: attr.label for asset_type in TYPES.values() for attr in asset_type.attributes}

    def value(entity_type: str, field: str, recorded) -> str:
        words = vocabularies.get((entity_type, field), {})
        if isinstance(recorded, str) and recorded in words:
            return _(words[recorded])
        if (entity_type, field) == ("asset", "attributes") and isinstance(recorded, dict):
            # A facility's attributes as its page names them, not as stored JSON.
            return display_value("; ".join(
                f"{_(attribute_labels[name]) if name in attribute_labels else name}: "
                f"{value_label(item, _) if isinstance(item, str) else display_value(item)}"
                for name, item in sorted(recorded.items())))
        return display_value(recorded)

    def page_link(before: int | None) -> str:
        """This page with the trail from entry `before` on (the latest when None), its other arguments kept."""
        args = {**request.view_args, **request.args.to_dict()}
        args.pop("audit_before", None)
        if before is not None:
            args["audit_before"] = before
        return url_for(request.endpoint, **args) + "#audit"

    app.jinja_env.globals.update(
        audit_page=entries_page,
        audit_page_link=page_link,
        audit_action_label=lambda action: ACTION_LABELS.get(action, action),
        audit_field_label=lambda field: FIELD_LABELS.get(field, field),
        audit_value=value,
    )
