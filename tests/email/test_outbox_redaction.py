"""Once an email has left, its stored copy holds no live link: the tokens that verify an
address, reset a password or open an order are needed to send it, and never again."""

import re

import pytest

from portal.accounts import services as accounts
from portal.email.models import OutboxStatus
from portal.email.sending import LINK_REMOVED, send_due, without_links
from portal.extensions import db

_LINK = re.compile(r"https?://[^\s<>\"']+")


def _reset(user) -> None:
    accounts.request_password_reset(user.email)


def _verify(user) -> None:
    accounts.send_verification_email(user)


@pytest.mark.parametrize("send", [_reset, _verify], ids=["password-reset", "verification"])
def test_a_sent_email_keeps_no_live_link(
    ctx, smtp_down, smtp_inbox, create_user, outbox_rows, make_due, send
):
    user = create_user(verified=send is _reset)
    send(user)
    db.session.commit()  # the mail server is down: the email waits in the outbox
    [waiting] = outbox_rows()
    assert waiting.status is OutboxStatus.QUEUED
    [link] = _LINK.findall(waiting.body_text)
    assert "/verify-email/" in link or "/reset-password/" in link
    assert link in waiting.body_html  # to send it, the outbox needs the link

    smtp_down()  # the mail server is back
    make_due()
    send_due()

    [sent] = outbox_rows()
    assert sent.status is OutboxStatus.SENT
    assert link not in sent.body_text and link not in sent.body_html
    assert _LINK.findall(sent.body_text) == [] and _LINK.findall(sent.body_html) == []
    assert LINK_REMOVED in sent.body_text and LINK_REMOVED in sent.body_html
    [message] = smtp_inbox.messages
    assert link in message.get_body(("plain",)).get_content()  # the person got it, though


def test_an_email_not_sent_yet_keeps_its_link(ctx, smtp_down, create_user, outbox_rows):
    user = create_user()
    _reset(user)
    db.session.commit()

    [row] = outbox_rows()
    assert row.status is OutboxStatus.QUEUED
    assert "/reset-password/" in row.body_text


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("Open https://insight.example/reset-password/abc.def.ghi now", "Open  now"),
        ('<a href="https://x.example/orders/INS-1?token=abc">Order</a>', '<a href="">Order</a>'),
        ("http://127.0.0.1:5000/verify-email/a-b_c.d\nnext line", "\nnext line"),
        ("No link here.", "No link here."),
    ],
)
def test_every_web_address_is_replaced(body, kept):
    assert without_links(body).replace(LINK_REMOVED, "") == kept


def test_the_outbox_page_still_shows_a_sent_email(client, admin, create_user, post_form):
    person = create_user()
    post_form("/forgotten-password", {"email": person.email})

    page = client.get("/admin/emails?status=sent").get_data(as_text=True)

    assert "Reset your Socitm Insight reports password" in page
    assert person.email in page
