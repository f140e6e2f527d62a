"""The append-only, hash-chained audit trail: who changed what, when, from what to what."""


def init_app(app) -> None:
    """Give templates the trail of any entity, so a page shows it without its view fetching it."""
    from .services import ACTION_LABELS, FIELD_LABELS, display_value, entries_for

    app.jinja_env.globals.update(
        audit_entries=entries_for,
        audit_action_label=lambda action: ACTION_LABELS.get(action, action),
        audit_field_label=lambda field: FIELD_LABELS.get(field, field),
    )
    app.jinja_env.filters["audit_value"] = display_value
