"""Accounts: registration, email verification, sign-in (with two-factor) and passwords.

Each module of routes registers itself on the one blueprint when imported here.
"""

from portal.accounts import (
    admin_confirmation_views,  # noqa: F401
    profile_views,  # noqa: F401
    session_views,  # noqa: F401
    two_factor_views,  # noqa: F401
    views,  # noqa: F401
)
from portal.accounts.blueprint import bp

__all__ = ["bp"]
