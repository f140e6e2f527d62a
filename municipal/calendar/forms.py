"""Forms of the calendar pages. The services validate the values; these carry them and CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from ..assets.forms import options

SCOPE_LABELS = {"user": _l("My own work"), "team": _l("A team's work"), "area": _l("An area's facilities")}


class FeedForm(FlaskForm):
    scope = SelectField(_l("Calendar of"), choices=options(SCOPE_LABELS.items()), default="user",
                        validate_choice=False)
    team = SelectField(_l("Team"), validate_choice=False)
    area = SelectField(_l("Area"), validate_choice=False)


class RevokeForm(FlaskForm):
    """Only the CSRF token: revoking asks nothing but the confirmation."""
