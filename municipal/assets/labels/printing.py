"""Label print runs: which facilities, their label texts, the PDF, and the print batch record."""
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ...auth.scope import Scope
from ...errors import ValidationError
from ...extensions import db
from .. import queries
from ..identity import qr
from ..identity import services as code_services
from ..models import Asset, IdentityCode
from ..types import PREFIXES, ROLE_LABELS, TYPES
from .sheets import PRESETS, LabelItem, LabelPerson, render_labels

# The law asks a reservoir's nameplate to name its three responsible persons (三个责任人), in this order.
NAMEPLATE_ROLES = {"reservoir": ("administrative", "technical", "patrol")}

MAX_LABELS = 5000


def select_for_labels(filters: queries.Filters, scope: Scope, ids: list[int] | None = None,
                      code_texts: list[str] | None = None):
    """The facilities to print among those `scope` sees: hand-picked ids or codes, else everything matching
    the filters."""
    query = queries.select_assets(filters, scope)
    if ids:
        query = query.where(Asset.id.in_(ids))
    if code_texts:
        canonical = [code_services.parse_code(text, "codes") for text in code_texts]
        query = query.where(Asset.id.in_(
            sa.select(IdentityCode.asset_id).where(IdentityCode.code.in_(canonical), IdentityCode.status == "bound")
        ))
    return query.where(Asset.status != "decommissioned")


def label_items(query) -> list[tuple[int, LabelItem]]:
    """(code id, label) for each facility with a bound code, in a stable order."""
    locale = str(get_locale())
    public_url = current_app.config["PUBLIC_URL"]
    rows = db.session.scalars(
        query.options(joinedload(Asset.code), joinedload(Asset.area), selectinload(Asset.persons))
        .order_by(Asset.type, Asset.id)
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
            persons=_nameplate_persons(asset),
        ))
        for asset in rows if asset.code is not None
    ]


def _nameplate_persons(asset: Asset) -> list[LabelPerson]:
    roles = NAMEPLATE_ROLES.get(asset.type, ())
    by_role = {p.role: p for p in asset.persons if p.role in roles}
    return [LabelPerson(_(ROLE_LABELS[role]), by_role[role].name, by_role[role].unit,
                        by_role[role].position, by_role[role].phone) for role in roles if role in by_role]


def unbound_codes(code_texts: list[str]) -> list[IdentityCode]:
    """The codes among `code_texts` not yet bound: printed ahead, bound when a crew first scans them."""
    canonical = [code_services.parse_code(text, "codes") for text in code_texts]
    return list(db.session.scalars(sa.select(IdentityCode).where(IdentityCode.code.in_(canonical),
                                                                 IdentityCode.status == "unbound")
                                   .order_by(IdentityCode.code)))


def _blank_items(codes: list[IdentityCode]) -> list[tuple[int, LabelItem]]:
    public_url = current_app.config["PUBLIC_URL"]
    return [(code.id, LabelItem(code=code.code, url=qr.qr_url(public_url, code.code),
                                name=_("Facility to be registered"), type_label=_(TYPES[PREFIXES[code.prefix]].label)))
            for code in codes]


def print_labels(actor, query, preset: str, selection: str, progress=None,
                 unbound: list[IdentityCode] = ()) -> tuple[bytes, int]:
    """The label PDF for the facilities `query` selects (None: none) and for the `unbound` codes, recorded
    as a print batch.

    Returns (pdf, batch id). Raises ValidationError for an unknown preset or an empty selection.
    """
    if preset not in PRESETS:
        raise ValidationError(_("Unknown label preset %(preset)s; use one of %(presets)s.",
                                preset=preset, presets=", ".join(PRESETS)), {"preset": _("unknown")})
    # Labels are public signage in the district: always Chinese, whoever prints them.
    with force_locale("zh"):
        items = (label_items(query) if query is not None else []) + _blank_items(list(unbound))
        if len(items) > MAX_LABELS:
            raise ValidationError(_("At most %(n)s labels per print run; narrow the selection.", n=MAX_LABELS),
                                  {"selection": _("too many")})
        if items:
            pdf = render_labels([item for _id, item in items], preset, progress=progress)
    if not items:
        raise ValidationError(_("No facility with a bound code matches the selection."), {"selection": _("empty")})
    batch = code_services.record_print_batch(actor, preset, [code_id for code_id, _item in items], selection)
    return pdf, batch.id


def print_new_codes(actor, type_key: str, count, preset: str, progress=None) -> tuple[bytes, int]:
    """Issue `count` new unbound codes of a type and print their labels: stock for crews to fix to
    facilities not yet registered, bound on the spot by the first scan."""
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise ValidationError(_("Between 1 and 10000 codes at a time."), {"count": _("must be a number")}) from None
    codes = code_services.issue_codes(actor, type_key, count)
    return print_labels(actor, None, preset, f"new codes type={type_key} count={count}", progress=progress,
                        unbound=codes)
