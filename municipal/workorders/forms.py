"""Forms of the work order pages. The services validate the values; these carry them and CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from ..assets.forms import options
from . import states


def _choices(mapping):
    return options((key, _l(label)) for key, label in mapping.items())


class WorkOrderForm(FlaskForm):
    asset = StringField(_l("Facility (number or code)"))
    kind = SelectField(_l("Kind"), choices=_choices(states.KINDS), default="repair", validate_choice=False)
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    priority = SelectField(_l("Priority"), choices=_choices(states.PRIORITIES), default="normal",
                           validate_choice=False)
    due_on = DateField(_l("Due by (empty: from the priority)"), validators=[Optional()])
    assignee_user = SelectField(_l("Assign to a person"), validate_choice=False)
    assignee_team = SelectField(_l("or to a team"), validate_choice=False)
    checklist = SelectField(_l("Checklist"), validate_choice=False)


class EditWorkOrderForm(FlaskForm):
    version = HiddenField()
    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    priority = SelectField(_l("Priority"), choices=_choices(states.PRIORITIES), validate_choice=False)
    due_on = DateField(_l("Due by"), validators=[Optional()])


class ActionForm(FlaskForm):
    version = HiddenField()
    reason = StringField(_l("Reason"))
    time_spent_min = IntegerField(_l("Time spent (minutes)"), validators=[Optional()])
    assignee_user = SelectField(_l("Person"), validate_choice=False)
    assignee_team = SelectField(_l("Team"), validate_choice=False)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"))


class BulkAssignForm(FlaskForm):
    assignee_user = SelectField(_l("Person"), validate_choice=False)
    assignee_team = SelectField(_l("Team"), validate_choice=False)
    priority = SelectField(_l("Priority"), choices=options([("", "—")]) + _choices(states.PRIORITIES),
                           validate_choice=False)
    due_on = DateField(_l("Due by"), validators=[Optional()])
