"""One e-mail layout for notices (text + HTML), rendered in the recipient's language and queued
in the outbox of the caller's transaction (sent after commit)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_notice(
    *, to: str, language: str, cooperative, subject: str, paragraphs: list[str], link: str = ""
) -> None:
    with translation.override(language):
        context = {
            "subject": subject,
            "paragraphs": [p for p in paragraphs if p],
            "link": link,
            "cooperative": cooperative,
        }
        text = render_to_string("emails/notice_body.txt", context)
        html = render_to_string("emails/notice_body.html", context)
    message = EmailMultiAlternatives(
        subject=f"[{cooperative.legal_name}] {subject}",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(html, "text/html")
    message.send()
