"""The production entry point: ``gunicorn wsgi:app``. ``PORTAL_ENV`` picks the configuration."""

from config import config_from_environment
from portal import create_app

app = create_app(config_from_environment())
