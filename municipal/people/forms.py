"""HTML forms: a facility's responsible persons, an assignment rule. The services check every value."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

SPARE_ROWS = 2


def options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class PersonRow(Form):
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    name = StringField(_l("Person's name"))
    unit = StringField(_l("Unit"))
    position = StringField(_l("Post"))
    phone = StringField(_l("Public phone (office or duty line)"))
    user_id = SelectField(_l("User account"), choices=[], validate_choice=False)
    river_chief_day = BooleanField(_l("Takes part in river chief day"))


def persons_form(rows: int, roles, users, data: dict | None = None) -> FlaskForm:
    class PersonsForm(FlaskForm):
        version = HiddenField()
        persons = FieldList(FormField(PersonRow), min_entries=rows)

    form = PersonsForm(data=data)
    for entry in form.persons:
        entry.form.role.choices = options([("", "—"), *roles])
        entry.form.user_id.choices = options([("", "—"), *users])
    return form


class RuleForm(FlaskForm):
    area = SelectField(_l("Area"), choices=[], validate_choice=False)
    asset_type = SelectField(_l("Facility type"), choices=[], validate_choice=False)
    kind = SelectField(_l("Kind of work"), choices=[], validate_choice=False)
    user_id = SelectField(_l("Person"), choices=[], validate_choice=False)
    team_id = SelectField(_l("Team"), choices=[], validate_choice=False)


class DeleteForm(FlaskForm):
    pass
