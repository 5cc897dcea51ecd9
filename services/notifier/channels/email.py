"""E-mail over SMTP (smtplib): 4xx replies and connection trouble are transient, 5xx permanent.

One connection per message keeps failure handling simple; alert volumes are small. The
password is a ``SecretStr`` and smtplib's exceptions never contain it, but every text we keep
is passed through ``redact`` anyway.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import SecretStr

from services.notifier import render
from services.notifier.channels import Receipt
from services.notifier.redact import redact
from shared.exceptions import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

# 7bit transfer encoding: any relay accepts it, no 8BITMIME/SMTPUTF8 negotiation needed.
WIRE_POLICY = email.policy.SMTP.clone(cte_type="7bit")


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: SecretStr | None = None
    tls: Literal["starttls", "ssl", "none"] = "none"
    timeout: float = 30.0
    list_domain: str = "newswatch.local"
    unsubscribe: str | None = None


class EmailChannel:
    def __init__(self, server: SmtpServer, to: Sequence[str]) -> None:
        self._server = server
        self._to = list(to)

    def send(self, message: render.Message, key: str, now: datetime) -> Receipt:
        envelope = render.Envelope(
            sender=self._server.sender,
            to=self._to,
            message_key=key,
            list_domain=self._server.list_domain,
            unsubscribe=self._server.unsubscribe,
        )
        msg = render.email(message, envelope, now)
        msg.policy = WIRE_POLICY
        data = msg.as_bytes(policy=WIRE_POLICY)
        try:
            with self._connect() as smtp:
                refused = smtp.sendmail(self._server.sender, self._to, data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _classify_refused(exc.recipients) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error, self._secrets()) from None
        except (smtplib.SMTPException, OSError) as exc:
            reason = redact(f"{type(exc).__name__}: {exc}", self._secrets())
            raise TransientDeliveryError(f"SMTP {self._where()}: {reason}") from None
        detail = f"accepted for {len(self._to) - len(refused)}/{len(self._to)} recipients"
        if refused:
            detail += "; refused: " + ", ".join(f"{r} {c}" for r, (c, _) in refused.items())
        return Receipt(status="250", detail=detail)

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        if server.tls == "ssl":
            context = ssl.create_default_context()
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server.host, server.port, timeout=server.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        try:
            if server.tls == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if server.username and server.password:
                smtp.login(server.username, server.password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _secrets(self) -> tuple[str | None, ...]:
        password = self._server.password
        return (password.get_secret_value() if password else None,)

    def _where(self) -> str:
        return f"{self._server.host}:{self._server.port}"


def _classify(
    code: int, reply: bytes | str, secrets: tuple[str | None, ...] = ()
) -> TransientDeliveryError | PermanentDeliveryError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    message = f"SMTP {code} {redact(text.strip(), secrets)[:200]}"
    if 400 <= code < 500 or code < 0:  # smtplib uses -1 for "connection lost"
        return TransientDeliveryError(message, status=str(code))
    return PermanentDeliveryError(message, status=str(code))


def _classify_refused(
    recipients: dict[str, tuple[int, bytes]],
) -> TransientDeliveryError | PermanentDeliveryError:
    """Every recipient refused: transient if any refusal was temporary."""
    codes = [code for code, _ in recipients.values()]
    parts = ", ".join(f"{addr}: {code}" for addr, (code, _) in recipients.items())
    status = str(min(codes)) if codes else None
    if any(400 <= code < 500 for code in codes):
        return TransientDeliveryError(f"SMTP recipients refused ({parts})", status=status)
    return PermanentDeliveryError(f"SMTP recipients refused ({parts})", status=status)
