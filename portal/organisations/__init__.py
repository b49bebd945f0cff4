"""Organisations and their Insight subscriptions."""
