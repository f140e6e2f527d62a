"""Forms of the calendar pages. The services validate the values; these carry them and CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from ..assets.forms import options

SCOPE_LABELS = {"user": _l("My own work"), "team": _l("A team's work"), "area": _l("An area's facilities"),
                "facility": _l("One facility")}


class FeedForm(FlaskForm):
    scope = SelectField(_l("Calendar of"), choices=options(SCOPE_LABELS.items()), default="user",
                        validate_choice=False)
    team = SelectField(_l("Team"), validate_choice=False)
    area = SelectField(_l("Area"), validate_choice=False)
    # Set by the facility's calendar page, where a supervisor makes a feed of that facility.
    asset = HiddenField()


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking asks nothing but the confirmation."""
