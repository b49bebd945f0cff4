"""Friendly error pages. Every error a person can meet renders one of these, never a traceback."""

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from portal.extensions import db
from portal.operations import outages
from portal.operations.request_ids import request_id

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Sorry, there is a problem with your request", "Check what you entered and try again."),
    403: ("You do not have permission to see this page", "If you think you should, contact us."),
    404: (
        "Page not found",
        "If you typed the web address, check it is correct. "
        "If you pasted the web address, check you copied the entire address.",
    ),
    405: ("Sorry, that cannot be done here", "Go back to the page you came from and try again."),
    413: ("The file is too large", "Choose a smaller file and try again."),
    429: ("Too many attempts", "Too many attempts. Wait a few minutes and try again."),
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Nothing you entered has been saved.",
    ),
}


def render_error(status: int, heading: str | None = None, message: str | None = None):
    default_heading, default_message = MESSAGES.get(status, MESSAGES[400 if status < 500 else 500])
    body = render_template(
        "errors/error.html",
        status=status,
        heading=heading or default_heading,
        message=message or default_message,
    )
    return body, status


def _csrf_error(error: CSRFError):
    return render_error(
        400,
        "Your form could not be sent",
        "The page you were on had expired or came from another website. "
        "Go back, reload the page and try again.",
    )


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code)


def _unexpected_error(error: Exception):
    if getattr(error, "original_exception", None) is None:
        # An unhandled exception Flask has logged already, with its traceback; abort(500) not.
        log.error("server error on %s %s", request.method, request.path)
    db.session.rollback()
    try:
        if outages.saved_in_request():  # "nothing has been saved" would be untrue
            return render_error(500, message=f"Try again later. {outages.SOMETHING_SAVED}")
        return render_error(500)
    except Exception:
        # The page itself needs the database (the header shows who is signed in); when that is
        # what failed, answer in plain text rather than not at all.
        log.exception("could not render the error page")
        return (
            "Sorry, there is a problem with the service. Try again later.\n"
            f"Reference: {request_id()}",
            500,
            {"Content-Type": "text/plain; charset=utf-8"},
        )


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected_error)
    outages.init_app(app)
