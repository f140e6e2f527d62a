"""Responsible persons per facility (三个责任人, chiefs) and the rules that assign new work."""


def init_app(app) -> None:
    """Give the facility page its responsible-persons section (municipal/sections.py) and the work order page the
    words for why its work went where it went."""
    from flask_babel import gettext as _

    from .. import sections
    from ..audit.reading import register_labels
    from .assignment import BASES

    register_labels("work_order", "assigned_by", BASES)

    def persons_section(user, asset, args):
        return {"asset_id": asset.id} if getattr(user, "can_edit", False) else None

    def assignment_basis(order) -> str:
        text = _(BASES.get(order.assigned_by, order.assigned_by))
        return f"{text} #{order.assignment_rule_id}" if order.assignment_rule_id else text

    sections.register(app, "asset", "bottom", "persons", "people/_section.html", persons_section)
    app.jinja_env.globals["assignment_basis"] = assignment_basis
