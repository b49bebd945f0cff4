"""Baskets."""

from portal.basket.views import bp

__all__ = ["bp"]
