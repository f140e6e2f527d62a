"""Extension objects, created unbound and initialised in create_app()."""
from flask_babel import Babel
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from .db import Base
from .errors import ErrorSchema


class _Api(Api):
    # flask-smorest documents every error response with ERROR_SCHEMA: ours, not its own shape.
    ERROR_SCHEMA = ErrorSchema

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
api = _Api()
