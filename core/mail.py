"""E-mail backend that writes messages to the outbox instead of sending them."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMultiAlternatives

from core import services


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = content
            services.email_enqueue(
                from_email=message.from_email,
                to=list(message.to),
                cc=list(message.cc),
                bcc=list(message.bcc),
                reply_to=list(message.reply_to),
                subject=message.subject,
                body=message.body,
                html_body=html,
                headers=dict(message.extra_headers),
                attachments=[
                    (name, content.encode() if isinstance(content, str) else content, mimetype)
                    for name, content, mimetype in message.attachments
                ],
            )
            count += 1
        return count
