"""The floor: the least a Flask app on this server can do, for the bench to compare against.

    gunicorn -c gunicorn.conf.py --chdir bench floor:app

One route returning a short constant page. No web page of the portal can be served faster by the
same gunicorn settings on the same machine, so the portal's requests per second are reported as a
fraction of this app's.
"""

from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><title>Floor</title><p>Hello from the floor.</p>\n"


@app.route("/")
def index() -> str:
    """The constant page."""
    return PAGE
