"""Outgoing e-mail: SMTP when a host is configured, else the log."""

import logging
from email.message import EmailMessage

import aiosmtplib

from core.config import Settings

log = logging.getLogger("finbot.mail")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, to: str, subject: str, body: str) -> None:
        settings = self.settings
        if not settings.smtp_host:
            log.info("e-mail (no FINBOT_SMTP_HOST set) to %s: %s\n%s", to, subject, body)
            return
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        try:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_user,
                password=password,
                start_tls=None,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            # Mail goes out after the answer; a failure is logged, never shown.
            log.error("could not send e-mail to %s: %s", to, error)
