"""Each email keeps one Message-ID, stored with its outbox row before it is first sent and used
again on every retry, so a receiving system can drop a second copy; a sender that died holds its
email back for seconds, not minutes."""

from datetime import timedelta

from portal.clock import utcnow
from portal.email import send_email
from portal.email.models import OutboxStatus
from portal.email.sending import SendCounts, send_due
from portal.extensions import db


def test_the_message_id_is_stored_when_the_email_is_written_and_is_the_one_sent(
    ctx, smtp_server, smtp_inbox, create_user, outbox_rows
):
    user = create_user()
    email = send_email("password_changed", user.email, user=user)
    db.session.flush()
    written = email.message_id
    assert written.startswith("<") and written.endswith("@socitm.example>")
    db.session.commit()

    [message] = smtp_inbox.messages
    assert message["Message-ID"] == written
    [row] = outbox_rows()
    assert row.message_id == written


def test_an_email_tried_again_after_a_failure_keeps_its_message_id(
    ctx, smtp_down, smtp_inbox, create_user, outbox_rows, make_due
):
    user = create_user()
    send_email("password_changed", user.email, user=user)
    db.session.commit()
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)

    smtp_down()  # the mail server is back
    make_due()
    assert send_due() == SendCounts(sent=1)
    [message] = smtp_inbox.messages
    assert message["Message-ID"] == row.message_id


def test_an_email_whose_sender_died_is_sent_again_seconds_later_with_the_same_id(
    ctx, app, smtp_server, smtp_inbox, create_outbox_email, outbox_rows
):
    now = utcnow()
    create_outbox_email(
        status=OutboxStatus.SENDING, claimed_at=now, attempts=1, message_id="<once@socitm.example>"
    )
    lease = app.config["OUTBOX_CLAIM_SECONDS"]
    assert lease <= 60

    assert send_due(now=now + timedelta(seconds=lease - 1)) == SendCounts()
    assert send_due(now=now + timedelta(seconds=lease + 1)) == SendCounts(sent=1)
    [message] = smtp_inbox.messages
    assert message["Message-ID"] == "<once@socitm.example>"


def test_an_email_written_before_ids_were_stored_gets_one_before_it_is_sent(
    ctx, smtp_server, smtp_inbox, create_outbox_email, outbox_rows
):
    create_outbox_email(message_id=None)
    assert send_due() == SendCounts(sent=1)
    [row] = outbox_rows()
    [message] = smtp_inbox.messages
    assert row.message_id and message["Message-ID"] == row.message_id
