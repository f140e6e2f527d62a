"""The append-only, hash-chained audit trail: who changed what, when, from what to what.

It knows no domain above it: each domain names its own recorded values from its init_app
(`reading.register_labels`, `reading.register_formatter`).
"""


def init_app(app) -> None:
    """Give templates the trail's words and page links (a page's trail is one of its sections, see
    `reading.register_trail`); and record the trail's end with every commit that appended to it."""
    import sqlalchemy as sa
    from flask import request, url_for

    from .reading import ACTION_LABELS, FIELD_LABELS, value_text
    from .services import anchor_head

    if not sa.event.contains(sa.orm.Session, "before_commit", anchor_head):
        sa.event.listen(sa.orm.Session, "before_commit", anchor_head)

    def page_link(before: int | None) -> str:
        """This page with the trail from entry `before` on (the latest when None), its other arguments kept."""
        args = {**request.view_args, **request.args.to_dict()}
        args.pop("audit_before", None)
        if before is not None:
            args["audit_before"] = before
        return url_for(request.endpoint, **args) + "#audit"

    app.jinja_env.globals.update(
        audit_page_link=page_link,
        audit_action_label=lambda action: ACTION_LABELS.get(action, action),
        audit_field_label=lambda field: FIELD_LABELS.get(field, field),
        audit_value=value_text,
    )
