"""The accounts blueprint; its routes live in ``views`` and ``two_factor_views``."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)
