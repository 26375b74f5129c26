"""A real SMTP server (aiosmtpd) that keeps what it receives."""

import asyncio
import email
import socket
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 Message accepted for delivery"

    async def wait_for(self, count: int) -> list[Message]:
        """The messages, once `count` have arrived (ten seconds at most)."""
        for _ in range(200):
            if len(self.messages) >= count:
                return self.messages
            await asyncio.sleep(0.05)
        raise AssertionError(f"expected {count} e-mails, got {len(self.messages)}")


class SMTPServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = 0
        self.controller: Controller | None = None

    def __enter__(self) -> "SMTPServer":
        # A port found free may be taken before the server binds it (other test
        # runs share the machine): bind, and on a clash try another port.
        for _ in range(20):
            port = free_port()
            controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
            try:
                controller.start()
            except OSError:
                controller.loop.close()  # its own loop, never to run now
                continue
            self.port, self.controller = port, controller
            return self
        raise RuntimeError("no free port for the SMTP server")

    def __exit__(self, *_: object) -> None:
        if self.controller is not None:
            self.controller.stop()
