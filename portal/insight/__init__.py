"""Insight itself: the public page that says what it is, with the request form to join, renew or
ask a question; the requests administrators work through; the reminders before a subscription
ends and the list of subscriptions ending or ended."""

from portal.insight.views import bp

__all__ = ["bp"]
