"""``flask --app wsgi send-outbox``: send the emails that are due, once or every few seconds."""

import logging
import signal
import threading

import click
from flask.cli import with_appcontext

from portal.email.sending import send_due

log = logging.getLogger(__name__)


@click.command("send-outbox")
@click.option("--loop", is_flag=True, help="Keep sending until stopped (Ctrl+C or SIGTERM).")
@click.option(
    "--interval",
    default=15,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds between passes with --loop.",
)
@click.option(
    "--limit",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most emails sent per pass.",
)
@with_appcontext
def send_outbox_command(loop: bool, interval: int, limit: int) -> None:
    """Send the emails that are due: new ones a request could not send, and retries.

    Several senders may run at once; each email is still sent once.
    """
    if not loop:
        click.echo(f"Outbox: {send_due(limit)}.")
        return
    stop = threading.Event()
    # SIGTERM (how `make run` stops it) ends the loop between emails, never in the middle of one,
    # so no claim is left to lapse and no email is sent twice.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    click.echo(f"Sending the outbox every {interval} seconds.")
    try:
        while not stop.is_set():
            try:
                counts = send_due(limit)
            except Exception:
                # A database hiccup must not stop the sender: the next pass tries again.
                log.exception("the outbox pass failed")
            else:
                if counts.sent or counts.retrying or counts.given_up:
                    click.echo(f"Outbox: {counts}.")
                if counts.sent + counts.retrying + counts.given_up >= limit:
                    continue  # more may be waiting: go again without sleeping
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Outbox sender stopped.")
