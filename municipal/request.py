"""The request class: what Werkzeug and Flask would let through as a 500 is refused as a 400 here."""
from flask import Request as FlaskRequest
from flask_babel import gettext as _
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest


def too_deep() -> str:
    return _("The request body is nested too deeply.")


class Request(FlaskRequest):
    def _load_form_data(self):
        super()._load_form_data()
        # RFC 7578 gives every part a name; Werkzeug keeps a nameless one under None, which breaks every
        # reader of the form that expects text keys (CSRF's first).
        if None in self.form or None in self.files:
            self.form, self.files = ImmutableMultiDict(), ImmutableMultiDict()
            raise BadRequest(_("Every part of a form must have a name."))

    def get_json(self, force=False, silent=False, cache=True):
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest(too_deep()) from None
