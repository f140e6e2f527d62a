"""Label print runs: which facilities, their label texts, the PDF, and the print batch record."""
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..errors import ValidationError
from ..extensions import db
from . import qr, queries, services
from .labels import PRESETS, LabelItem, render_labels
from .models import Asset, IdentityCode
from .types import TYPES

MAX_LABELS = 5000


def select_for_labels(filters: queries.Filters, ids: list[int] | None = None, code_texts: list[str] | None = None):
    """The facilities to print: hand-picked ids or codes, else everything matching the filters."""
    query = queries.select_assets(filters)
    if ids:
        query = query.where(Asset.id.in_(ids))
    if code_texts:
        canonical = [services.parse_code(text, "codes") for text in code_texts]
        query = query.where(Asset.id.in_(
            sa.select(IdentityCode.asset_id).where(IdentityCode.code.in_(canonical), IdentityCode.status == "bound")
        ))
    return query.where(Asset.status != "decommissioned")


def label_items(query) -> list[tuple[int, LabelItem]]:
    """(code id, label) for each facility with a bound code, in a stable order."""
    locale = str(get_locale())
    public_url = current_app.config["PUBLIC_URL"]
    rows = db.session.scalars(
        query.options(joinedload(Asset.code), joinedload(Asset.area)).order_by(Asset.type, Asset.id)
        .limit(MAX_LABELS + 1)
    ).unique().all()
    if len(rows) > MAX_LABELS:
        raise ValidationError(_("At most %(n)s labels per print run; narrow the selection.", n=MAX_LABELS),
                              {"selection": _("too many")})
    return [
        (asset.code.id, LabelItem(
            code=asset.code.code,
            url=qr.qr_url(public_url, asset.code.code),
            name=asset.name,
            type_label=_(TYPES[asset.type].label),
            owner_unit=asset.owner_unit,
            maintenance_unit=asset.maintenance_unit,
            area=asset.area.display_name(locale) if asset.area else "",
        ))
        for asset in rows if asset.code is not None
    ]


def print_labels(actor, query, preset: str, selection: str, progress=None) -> tuple[bytes, int]:
    """The label PDF for the facilities `query` selects, recorded as a print batch.

    Returns (pdf, batch id). Raises ValidationError for an unknown preset or an empty selection.
    """
    if preset not in PRESETS:
        raise ValidationError(_("Unknown label preset %(preset)s; use one of %(presets)s.",
                                preset=preset, presets=", ".join(PRESETS)), {"preset": _("unknown")})
    # Labels are public signage in the district: always Chinese, whoever prints them.
    with force_locale("zh"):
        items = label_items(query)
        if items:
            pdf = render_labels([item for _id, item in items], preset, progress=progress)
    if not items:
        raise ValidationError(_("No facility with a bound code matches the selection."), {"selection": _("empty")})
    batch = services.record_print_batch(actor, preset, [code_id for code_id, _item in items], selection)
    return pdf, batch.id
