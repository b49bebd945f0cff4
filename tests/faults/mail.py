"""The fault stack's mail server: it keeps every message it accepts, and can run a fault at the
moment a chosen message arrives (after the server has it, before the sender hears so)."""

from collections.abc import Callable
from email.message import EmailMessage

from tests.email.helpers import Inbox


class FaultyInbox(Inbox):
    def __init__(self):
        super().__init__()
        # (which message, what to do): run once, when the first message it matches arrives.
        self.on_arrival: tuple[Callable[[EmailMessage], bool], Callable[[], None]] | None = None

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        if self.on_arrival is not None and self.messages:
            matches, fault = self.on_arrival
            if matches(self.messages[-1]):
                self.on_arrival = None
                fault()
        return answer

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.messages if address in message["To"]]
