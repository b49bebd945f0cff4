"""Emails leave only when the change that caused them is committed."""

from portal.accounts.models import User
from portal.email import send_email
from portal.extensions import db


def _queue_for(user):
    send_email("password_changed", user.email, user=user)


def test_email_is_sent_after_commit(ctx, outbox, create_user):
    user = create_user()
    _queue_for(user)
    assert outbox == []
    db.session.commit()
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Your Socitm Insight reports password has changed"
    assert user.name in message.body
    assert message.alternatives[0][1] == "text/html"


def test_email_is_dropped_when_the_change_is_rolled_back(ctx, outbox, create_user):
    user = create_user()
    _queue_for(user)
    db.session.rollback()
    db.session.commit()
    assert outbox == []
    assert db.session.get(User, user.id) is None


def test_a_failing_mail_server_does_not_undo_the_change(ctx, outbox, create_user, monkeypatch):
    from flask_mailman import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    user = create_user()
    _queue_for(user)
    db.session.commit()
    assert db.session.get(User, user.id) is not None
