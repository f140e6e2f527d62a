"""The inspection calendar: the pure rule engine (engine/), the facts and plans it reads, the items and work it
keeps, and its pages, feeds and API."""


def init_app(app) -> None:
    """The calendar's own error answer, and its words in the audit trail."""
    from flask_babel import gettext as _

    from ..audit.reading import register_labels
    from ..errors import respond
    from .engine.rules import RuleTableError
    from .engine.wording import KINDS, RESULT_LABELS

    # A rule table or district setting that cannot be used is the server's fault, named (503, the setting at
    # fault), on every calendar page and endpoint alike, never a 500.

    @app.errorhandler(RuleTableError)
    def _calendar_rules(error: RuleTableError):
        return respond(503, "unavailable", _("The calendar rules cannot be used: %(error)s", error=error),
                       {error.path or "settings": error.reason})

    # A facility's recorded history in the audit trail: what was done and the appraisal's result.
    register_labels("asset", "kind", KINDS)
    register_labels("asset", "result", RESULT_LABELS)
