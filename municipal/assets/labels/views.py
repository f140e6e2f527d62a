"""The labels page: choose facilities, download the PDF."""
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ...auth.scope import Scope
from ...db import as_id
from ...errors import DomainError
from ...permissions import roles
from .. import queries
from . import printing
from .sheets import PRESETS

bp = Blueprint("labels", __name__)


def _selection_from(values):
    filters = queries.Filters(type=values.get("type", ""), area=values.get("area", ""),
                              status=values.get("status", ""), q=values.get("q", ""))
    ids = [i for i in map(as_id, values.getlist("ids")) if i is not None]
    code_texts = [c for c in values.get("codes", "").replace(",", " ").split() if c]
    return filters, ids, code_texts


@bp.route("/labels", methods=["GET", "POST"])
@roles("admin", "supervisor")
def index():
    values = request.values
    filters, ids, code_texts = _selection_from(values)
    preset = values.get("preset", "sheet")
    if request.method == "POST":
        try:
            query = printing.select_for_labels(filters, Scope.of(current_user), ids, code_texts)
            selection = request.form.to_dict(flat=False)
            selection.pop("csrf_token", None)
            pdf, batch_id = printing.print_labels(current_user, query, preset, str(selection),
                                                  unbound=printing.unbound_codes(code_texts))
        except DomainError as error:
            return render_template("assets/labels.html", filters=filters, ids=ids, codes=" ".join(code_texts),
                                   preset=preset, presets=PRESETS, areas=queries.area_choices(str(get_locale())), error=error,
                                   count=None), error.status
        name = f"labels-{preset}-{batch_id}.pdf"
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    count = None
    if ids or code_texts or any(vars(filters).values()):
        try:
            chosen = printing.select_for_labels(filters, Scope.of(current_user), ids, code_texts)
            count = len(printing.label_items(chosen)) + len(printing.unbound_codes(code_texts))
        except DomainError as error:
            return render_template("assets/labels.html", filters=filters, ids=ids, codes=" ".join(code_texts),
                                   preset=preset, presets=PRESETS, areas=queries.area_choices(str(get_locale())), error=error,
                                   count=None), error.status
    return render_template("assets/labels.html", filters=filters, ids=ids, codes=" ".join(code_texts), preset=preset,
                           presets=PRESETS, areas=queries.area_choices(str(get_locale())), error=None, count=count)


@bp.route("/labels/new-codes", methods=["POST"])
@roles("admin", "supervisor")
def new_codes():
    """Labels for new, unbound codes: stock a crew fixes to facilities not yet registered."""
    preset = request.form.get("preset", "sheet")
    try:
        pdf, batch_id = printing.print_new_codes(current_user, request.form.get("type", ""),
                                                 request.form.get("count", ""), preset)
    except DomainError as error:
        return render_template("assets/labels.html", filters=queries.Filters(), ids=[], codes="", preset=preset,
                               presets=PRESETS, areas=queries.area_choices(str(get_locale())), error=error,
                               count=None), error.status
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="new-codes-{preset}-{batch_id}.pdf"'})
