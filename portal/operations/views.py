"""Probes for load balancers and monitors: ``/healthz`` (the process answers) and ``/readyz``
(it can serve: database, Redis, storage). Open to anyone, never rate limited, never cached."""

from flask import Blueprint, jsonify

from portal.operations import services
from portal.operations.limits import limiter

bp = Blueprint("operations", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Alive: answers without touching anything else, so a slow database never gets app servers
    restarted."""
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Ready: 200 when every check passes, 503 naming the checks that failed."""
    checks = services.readiness()
    ready = all(result == "ok" for result in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
