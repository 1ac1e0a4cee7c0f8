"""E-mails about jobs: to the client in the client's document language, to the member in theirs."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.notify import send_notice


def job_confirmation_request(job, link: str) -> None:
    language = job.client.language
    with translation.override(language):
        subject = _("Please confirm the order “%(title)s”") % {"title": job.title}
        paragraphs = [
            _("%(member)s of %(coop)s will carry out the following order for you:")
            % {"member": job.member.full_name, "coop": job.cooperative.legal_name},
            job.title,
            job.deliverable,
            _("Please accept or decline it with the link below. No account is needed."),
        ]
    send_notice(
        to=job.client.invoice_email,
        language=language,
        cooperative=job.cooperative,
        subject=subject,
        paragraphs=paragraphs,
        link=link,
    )


def job_answered(job) -> None:
    language = job.member.user.language or job.cooperative.default_language
    with translation.override(language):
        if job.status == "confirmed":
            subject = _("Order confirmed: %(title)s") % {"title": job.title}
            paragraphs = [_("%(client)s has confirmed the order.") % {"client": job.client.name}]
        else:
            subject = _("Order declined: %(title)s") % {"title": job.title}
            paragraphs = [
                _("%(client)s has declined the order.") % {"client": job.client.name},
                job.client_decline_reason,
            ]
    send_notice(
        to=job.member.user.email,
        language=language,
        cooperative=job.cooperative,
        subject=subject,
        paragraphs=[p for p in paragraphs if p],
        link=f"{settings.SMARTCOOP_BASE_URL.rstrip('/')}/jobs/{job.pk}/",
    )


def invoice_returned(invoice) -> None:
    member = invoice.member
    language = member.user.language or invoice.cooperative.default_language
    with translation.override(language):
        subject = _("Your invoice for %(client)s needs changes") % {"client": invoice.client.name}
        paragraphs = [
            _("Staff have returned your invoice to you as a draft. The reason:"),
            invoice.returned_reason,
        ]
    send_notice(
        to=member.user.email,
        language=language,
        cooperative=invoice.cooperative,
        subject=subject,
        paragraphs=paragraphs,
        link=f"{settings.SMARTCOOP_BASE_URL.rstrip('/')}/invoices/{invoice.pk}/",
    )


def invoices_issued(invoices) -> None:
    """One e-mail per member for the invoices of theirs issued together."""
    by_member: dict[int, list] = {}
    for invoice in invoices:
        by_member.setdefault(invoice.member_id, []).append(invoice)
    for issued in by_member.values():
        first = issued[0]
        member = first.member
        language = member.user.language or first.cooperative.default_language
        base = settings.SMARTCOOP_BASE_URL.rstrip("/")
        with translation.override(language):
            if len(issued) == 1:
                subject = _("Invoice %(number)s has been issued") % {"number": first.number_text}
                paragraphs = [
                    _(
                        "Your invoice to %(client)s over %(gross)s € has been issued and is "
                        "being sent."
                    )
                    % {"client": first.client.name, "gross": first.gross_total}
                ]
                link = f"{base}/invoices/{first.pk}/"
            else:
                subject = ngettext(
                    "%(count)d invoice has been issued",
                    "%(count)d invoices have been issued",
                    len(issued),
                ) % {"count": len(issued)}
                paragraphs = [_("These invoices of yours have been issued and are being sent:")] + [
                    _("%(number)s to %(client)s over %(gross)s €")
                    % {"number": i.number_text, "client": i.client.name, "gross": i.gross_total}
                    for i in issued
                ]
                link = f"{base}/invoices/"
        send_notice(
            to=member.user.email,
            language=language,
            cooperative=first.cooperative,
            subject=subject,
            paragraphs=paragraphs,
            link=link,
        )
