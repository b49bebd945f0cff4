"""Accounts: registration, email verification, sign-in and passwords."""

from portal.accounts.views import bp

__all__ = ["bp"]
