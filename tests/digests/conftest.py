"""Real receivers on 127.0.0.1 for the digest tests: an SMTP server (aiosmtpd) that can go down and come back."""
from __future__ import annotations

import email
import socket
from email import policy

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPReceiver:
    """aiosmtpd on a fixed port; `down()` closes the port (connection refused), `up()` opens it again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.recipients: list[list[str]] = []  # the envelope recipients of each accepted message
        self.reject: set[str] = set()  # addresses answered with "550" at RCPT TO
        self._controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.recipients.append([a.lower() for a in envelope.rcpt_tos])
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def received_by(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m, rcpts in zip(self.messages, self.recipients) if address.lower() in rcpts]

    def up(self) -> "SMTPReceiver":
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def url(self, to: str = "team@example.kr") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=newswatch@example.kr&to={to}&mode=insecure"


@pytest.fixture
def smtp():
    server = SMTPReceiver().up()
    yield server
    server.down()
