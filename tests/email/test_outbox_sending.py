"""Every email is an outbox row written with the change that caused it, sent once after the
commit, and retried from the outbox when the mail server is down, through a real SMTP server."""

import socket
from datetime import timedelta

import pytest

from portal.accounts.models import User
from portal.clock import utcnow
from portal.email import send_email
from portal.email.models import OutboxEmail, OutboxStatus
from portal.email.sending import MAX_ATTEMPTS, SendCounts, retry_delay, send_due
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod

SUBJECT = "Your Socitm Insight reports password has changed"


def _tell(user, **extra) -> OutboxEmail:
    return send_email("password_changed", user.email, user=user, **extra)


def test_an_email_is_a_row_after_the_commit_and_is_delivered_once(
    ctx, smtp_server, smtp_inbox, create_user, outbox_rows, runner
):
    user = create_user()
    _tell(user)
    assert smtp_inbox.messages == []  # nothing leaves before the commit
    db.session.commit()

    [row] = outbox_rows()
    assert (row.template, row.to_address, row.subject) == ("password_changed", user.email, SUBJECT)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    [message] = smtp_inbox.messages
    assert message["To"] == user.email
    assert message["Subject"] == SUBJECT
    assert user.name in message.get_body(("plain",)).get_content()
    assert message.get_body(("html",)).get_content_type() == "text/html"

    assert runner.invoke(args=["send-outbox"]).output == "Outbox: 0 sent, 0 to retry, 0 given up.\n"
    assert len(smtp_inbox.messages) == 1


def test_a_rolled_back_change_leaves_no_row_and_sends_nothing(
    ctx, smtp_server, smtp_inbox, create_user, outbox_rows
):
    user = create_user()
    _tell(user)
    db.session.flush()  # even once written, the row goes with the transaction
    db.session.rollback()
    db.session.commit()

    assert outbox_rows() == []
    assert smtp_inbox.messages == []
    assert db.session.get(User, user.id) is None


def test_with_the_mail_server_down_the_change_is_kept_and_the_email_waits(
    ctx, smtp_down, smtp_server, smtp_inbox, create_user, outbox_rows, runner, make_due
):
    before = utcnow()
    user = create_user()
    _tell(user)
    db.session.commit()

    assert db.session.get(User, user.id) is not None
    [row] = outbox_rows()
    assert row.status is OutboxStatus.QUEUED
    assert row.attempts == 1
    assert "ConnectionRefusedError" in row.last_error
    assert before + retry_delay(1) <= row.next_attempt_at <= utcnow() + retry_delay(1)

    smtp_down()  # the mail server is back
    result = runner.invoke(args=["send-outbox"])
    assert result.output == "Outbox: 0 sent, 0 to retry, 0 given up.\n"  # still backing off
    assert smtp_inbox.messages == []

    make_due()
    assert runner.invoke(args=["send-outbox"]).output == "Outbox: 1 sent, 0 to retry, 0 given up.\n"
    assert runner.invoke(args=["send-outbox"]).output == "Outbox: 0 sent, 0 to retry, 0 given up.\n"
    assert smtp_inbox.subjects == [SUBJECT]
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


def test_attachments_arrive_with_their_names_types_and_bytes(
    ctx, smtp_server, smtp_inbox, create_user
):
    pdf = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"
    csv = "Report,Price\nChannel shift,£145.00\n".encode()
    _tell(
        create_user(),
        attachments=[("INV-0001.pdf", "application/pdf", pdf), ("lines.csv", "text/csv", csv)],
    )
    db.session.commit()

    [message] = smtp_inbox.messages
    pdf_part, csv_part = message.iter_attachments()
    assert (pdf_part.get_filename(), pdf_part.get_content_type()) == (
        "INV-0001.pdf",
        "application/pdf",
    )
    assert pdf_part.get_content() == pdf  # byte for byte
    assert (csv_part.get_filename(), csv_part.get_content_type()) == ("lines.csv", "text/csv")
    # Text travels with the mail's CRLF line endings; the characters arrive unchanged.
    assert csv_part.get_content().splitlines() == csv.decode().splitlines()


def test_an_email_about_an_order_points_to_it(ctx, outbox, create_user, outbox_rows):
    user = create_user()
    order = Order(
        email=user.email,
        name=user.name,
        state=OrderState.PAID,
        payment_method=PaymentMethod.FREE,
        net_pence=0,
        vat_pence=0,
        total_pence=0,
    )
    db.session.add(order)  # not flushed yet: the email still finds its id
    _tell(user, order=order)
    db.session.commit()
    [row] = outbox_rows()
    assert row.order_id == order.id is not None


@pytest.mark.parametrize(
    ("attempts", "delay"),
    [
        (1, timedelta(minutes=1)),
        (2, timedelta(minutes=5)),
        (3, timedelta(minutes=15)),
        (4, timedelta(hours=1)),
        (5, timedelta(hours=4)),
        (9, timedelta(hours=4)),
    ],
)
def test_retries_back_off(attempts, delay):
    assert retry_delay(attempts) == delay


def test_an_email_that_keeps_failing_is_given_up_and_kept(
    ctx, smtp_down, create_outbox_email, outbox_rows
):
    create_outbox_email()
    moment = utcnow()
    outcomes = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        outcomes.append(send_due(now=moment))
        moment += retry_delay(attempt)

    assert outcomes == [SendCounts(retrying=1)] * (MAX_ATTEMPTS - 1) + [SendCounts(given_up=1)]
    [row] = outbox_rows()
    assert (row.status, row.attempts) == (OutboxStatus.GIVEN_UP, MAX_ATTEMPTS)
    assert "ConnectionRefusedError" in row.last_error
    assert send_due(now=moment + timedelta(days=30)) == SendCounts()  # never tried again


def test_a_persons_emails_leave_in_the_order_they_were_written(
    ctx, smtp_down, smtp_server, smtp_inbox, create_user, outbox_rows, make_due
):
    user = create_user()
    _tell(user)
    db.session.commit()  # the mail server is down: the first email waits for its retry
    smtp_down()
    send_email("reset_password", user.email, user=user, link="http://localhost/r", minutes=60)
    db.session.commit()

    first, second = outbox_rows()
    assert (first.status, first.attempts) == (OutboxStatus.QUEUED, 1)
    assert (second.status, second.attempts) == (OutboxStatus.QUEUED, 0)  # waits behind the first
    assert smtp_inbox.messages == []

    make_due()
    assert send_due() == SendCounts(sent=2)
    assert smtp_inbox.subjects == [SUBJECT, "Reset your Socitm Insight reports password"]


def test_an_email_claimed_by_another_sender_is_left_alone_until_the_claim_lapses(
    ctx, smtp_server, smtp_inbox, create_outbox_email, outbox_rows
):
    now = utcnow()
    email_id = create_outbox_email(status=OutboxStatus.SENDING, claimed_at=now, attempts=1)

    assert send_due(now=now + timedelta(minutes=1)) == SendCounts()
    assert smtp_inbox.messages == []

    # That sender died mid-send: after the lease another one takes the email over.
    assert send_due(now=now + timedelta(minutes=6)) == SendCounts(sent=1)
    [row] = outbox_rows()
    assert (row.id, row.status, row.attempts) == (email_id, OutboxStatus.SENT, 2)
    assert len(smtp_inbox.messages) == 1


def test_an_email_not_yet_due_is_not_sent(ctx, smtp_server, smtp_inbox, create_outbox_email):
    later = utcnow() + timedelta(minutes=5)
    create_outbox_email(next_attempt_at=later, attempts=1)
    assert send_due() == SendCounts()
    assert send_due(now=later) == SendCounts(sent=1)
    assert len(smtp_inbox.messages) == 1


def test_a_pass_stops_at_its_limit_oldest_first(ctx, smtp_server, smtp_inbox, create_outbox_email):
    for _ in range(3):
        create_outbox_email()
    assert send_due(limit=2) == SendCounts(sent=2)
    assert smtp_inbox.subjects == ["Email number 1", "Email number 2"]
    assert send_due() == SendCounts(sent=1)


def test_an_email_the_server_refuses_is_retried_and_the_pass_goes_on(
    ctx, smtp_server, smtp_inbox, create_outbox_email, outbox_rows
):
    smtp_inbox.refused.add("reader1@example.gov.uk")
    create_outbox_email()
    create_outbox_email()
    assert send_due() == SendCounts(sent=1, retrying=1)
    refused, sent = outbox_rows()
    assert (refused.status, refused.attempts) == (OutboxStatus.QUEUED, 1)
    assert "SMTPDataError" in refused.last_error
    assert "mailbox unavailable" in refused.last_error
    assert sent.status is OutboxStatus.SENT


def test_a_mail_server_that_never_answers_times_out_and_the_email_waits(
    ctx, app, smtp_server, monkeypatch, create_outbox_email, outbox_rows
):
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, says nothing
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.2)
        create_outbox_email()
        create_outbox_email()
        assert send_due() == SendCounts(retrying=1)  # the second is not made to wait as well
    assert [(row.status, row.attempts) for row in outbox_rows()] == [
        (OutboxStatus.QUEUED, 1),
        (OutboxStatus.QUEUED, 0),
    ]


def test_the_in_memory_outbox_still_gets_each_email_once(ctx, outbox, create_user, runner):
    user = create_user()
    _tell(user)
    db.session.commit()
    runner.invoke(args=["send-outbox"])
    assert [message.subject for message in outbox] == [SUBJECT]


def test_a_queued_email_that_lost_its_mail_server_mid_pass_stops_the_pass(
    ctx, smtp_down, create_outbox_email, outbox_rows
):
    for _ in range(3):
        create_outbox_email()
    # Unreachable once is unreachable for all: the others are not made to wait for it again.
    assert send_due() == SendCounts(retrying=1)
    assert [row.attempts for row in outbox_rows()] == [1, 0, 0]
