"""One e-mail layout for notices (text + HTML), rendered in the recipient's language and queued
in the outbox of the caller's transaction (sent after commit)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def _render(*, language: str, cooperative, subject: str, paragraphs: list[str], link: str):
    with translation.override(language):
        context = {
            "subject": subject,
            "paragraphs": [p for p in paragraphs if p],
            "link": link,
            "cooperative": cooperative,
        }
        text = render_to_string("emails/notice_body.txt", context)
        html = render_to_string("emails/notice_body.html", context)
    return f"[{cooperative.legal_name}] {subject}", text, html


def send_notice(
    *, to: str, language: str, cooperative, subject: str, paragraphs: list[str], link: str = ""
) -> None:
    full_subject, text, html = _render(
        language=language,
        cooperative=cooperative,
        subject=subject,
        paragraphs=paragraphs,
        link=link,
    )
    message = EmailMultiAlternatives(
        subject=full_subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    message.send()


def queue_notice_with_files(
    *,
    to: str,
    language: str,
    cooperative,
    subject: str,
    paragraphs: list[str],
    attachments: list[tuple[str, bytes, str]],
    reply_to: str = "",
):
    """Like send_notice, with files, returning the outbox row so the caller can follow its
    delivery status (an invoice e-mail)."""
    from core.services import email_enqueue

    full_subject, text, html = _render(
        language=language,
        cooperative=cooperative,
        subject=subject,
        paragraphs=paragraphs,
        link="",
    )
    return email_enqueue(
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        subject=full_subject,
        body=text,
        html_body=html,
        reply_to=[reply_to] if reply_to else [],
        attachments=attachments,
    )
