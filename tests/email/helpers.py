"""A real SMTP server's handler for the outbox tests, and a free loopback port."""

import asyncio
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage


def free_port() -> int:
    """A loopback port nothing listens on (the kernel's pick; closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, delay: float = 0):
        self.messages: list[EmailMessage] = []
        self.delay = delay  # seconds each delivery takes, so that concurrent senders overlap
        self.refused: set[str] = set()  # addresses whose mail the server turns away

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.refused.intersection(envelope.rcpt_tos):
            return "550 Requested action not taken: mailbox unavailable"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    @property
    def subjects(self) -> list[str]:
        return [message["Subject"] for message in self.messages]
