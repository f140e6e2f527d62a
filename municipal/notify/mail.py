"""Plain-text notification emails and the SMTP connection they go out on. Changes no state."""
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

TLS_MODES = ("", "starttls", "ssl")
TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    user: str
    password: str
    tls: str


def settings(config) -> SmtpSettings | None:
    """The SMTP settings, or None when email is off (no SMTP_HOST). A wrong value raises ValueError naming it."""
    host = (config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    try:
        port = int(config.get("SMTP_PORT") or 25)
    except (TypeError, ValueError):
        raise ValueError(f"SMTP_PORT must be a number, not {config.get('SMTP_PORT')!r}.") from None
    tls = str(config.get("SMTP_TLS") or "").strip().lower()
    # Environment variables are text: accept the usual spellings of yes and no.
    tls = {"0": "", "false": "", "no": "", "off": "", "1": "starttls", "true": "starttls", "yes": "starttls",
           "on": "starttls"}.get(tls, tls)
    if tls not in TLS_MODES:
        raise ValueError(f"SMTP_TLS must be empty, 'starttls' or 'ssl', not {config.get('SMTP_TLS')!r}.")
    return SmtpSettings(host=host, port=port, sender=config.get("SMTP_FROM") or "municipal@localhost",
                        user=config.get("SMTP_USER") or "", password=config.get("SMTP_PASSWORD") or "", tls=tls)


def connect(smtp: SmtpSettings) -> smtplib.SMTP:
    if smtp.tls == "ssl":
        connection = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
    else:
        connection = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
        if smtp.tls == "starttls":
            connection.starttls(context=ssl.create_default_context())
    if smtp.user:
        connection.login(smtp.user, smtp.password)
    return connection


def compose(sender: str, to_name: str, to_address: str, subject: str, body: str) -> EmailMessage:
    """A UTF-8 plain-text message; Chinese subjects and names are encoded as RFC 2047 words."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((to_name, to_address))
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message
