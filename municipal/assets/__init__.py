"""Facilities, their types and areas, identity codes, QR labels and scans."""


def init_app(app) -> None:
    """Name a facility's recorded statuses and attributes in the audit trail, as its page names them, and show
    that trail on its staff page."""
    from flask_babel import gettext as _

    from ..audit.reading import display_value, register_formatter, register_labels, register_trail
    from .types import STATUSES, TYPES, value_label

    register_labels("asset", "status", STATUSES)
    attribute_labels = {attr.name: attr.label for asset_type in TYPES.values() for attr in asset_type.attributes}

    def attributes(recorded) -> str | None:
        """A facility's attributes as its page names them, not as stored JSON."""
        if not isinstance(recorded, dict):
            return None
        return "; ".join(
            f"{_(attribute_labels[name]) if name in attribute_labels else name}: "
            f"{value_label(item, _) if isinstance(item, str) else display_value(item)}"
            for name, item in sorted(recorded.items()))

    register_formatter("asset", "attributes", attributes)
    register_trail(app, "asset", "asset")
