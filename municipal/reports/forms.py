"""The form that asks for a report. The services validate the values; the form carries them and CSRF."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from ..assets.forms import options

LANGUAGES = (("zh", "中文"), ("en", "English"))


class ReportForm(FlaskForm):
    year = StringField(_l("Year"))
    scope = SelectField(_l("Covering"), validate_choice=False)
    lang = SelectField(_l("Language"), choices=options(LANGUAGES), default="zh", validate_choice=False)
