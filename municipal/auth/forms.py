from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from .models import ROLES

ROLE_LABELS = {"admin": _l("Administrator"), "supervisor": _l("Supervisor"), "crew": _l("Crew member"),
               "viewer": _l("Viewer")}


def _role_field():
    return SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES], validate_choice=False)


def _email_field():
    # Checked by the service, which says what a valid address looks like.
    return EmailField(_l("Email"))


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


# Choices are filled in by the view; the services check the values, so the fields report their errors.
class UserCreateForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Display name"), validators=[Length(max=100)])
    email = _email_field()
    role = _role_field()
    password = PasswordField(_l("Initial password"), validators=[DataRequired()])


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)])
    email = _email_field()
    role = _role_field()
    areas = SelectMultipleField(_l("Areas of responsibility"), choices=[], validate_choice=False)
    asset_types = SelectMultipleField(_l("Facility types"), choices=[], validate_choice=False)


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired()])


class TeamForm(FlaskForm):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=100)])
    area = SelectField(_l("Area"), choices=[], validate_choice=False)
    asset_types = SelectMultipleField(_l("Facility types"), choices=[], validate_choice=False)
    members = SelectMultipleField(_l("Members"), choices=[], validate_choice=False)
    webhook_url = StringField(_l("Group robot webhook (企业微信 or 钉钉)"), validators=[Optional(), Length(max=500)],
                              description=_l("The robot's address from the group's settings; the team's new work, "
                                             "send-backs and work submitted for review are posted there."))


class ConfirmForm(FlaskForm):
    """A button that only carries the CSRF token."""
