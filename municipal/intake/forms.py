"""HTML forms for citizen reports. The services check every value; the forms carry them and CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .models import CATEGORIES


class ReportForm(FlaskForm):
    category = RadioField(_l("What is the problem?"), validate_choice=False,
                          choices=[SelectChoice(key, label) for key, label in CATEGORIES.items()])
    description = TextAreaField(_l("Describe it"))
    photo = FileField(_l("Photo (optional)"))
    contact_name = StringField(_l("Your name (optional)"))
    contact_phone = StringField(_l("Your phone (optional, only staff see it)"))
    # The token of a photo kept while the form came back with an error (see held.py).
    held_photo = HiddenField()
    lon = HiddenField()
    lat = HiddenField()
    # Without a code: the facility picked among those suggested near the pin, and the number of a report
    # already there that the citizen adds their word to (我也遇到) instead of sending a new one.
    facility = HiddenField()
    join = HiddenField()


class CloseForm(FlaskForm):
    reply = TextAreaField(_l("Reply to the citizen"))


class AcceptForm(FlaskForm):
    # Choices are filled by the view (the people the supervisor may assign); the services check the values.
    priority = SelectField(_l("Priority"), validate_choice=False)
    assignee_user = SelectField(_l("Assign to"), validate_choice=False)
    assignee_team = SelectField(_l("or to a team"), validate_choice=False)


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Reply to the citizen"))


class RateForm(FlaskForm):
    satisfaction = HiddenField()


class MergeForm(FlaskForm):
    into = HiddenField()
