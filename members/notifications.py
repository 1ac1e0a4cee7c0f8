"""E-mails about membership, in the recipient's language, text and HTML.

Every message uses one layout (core.notify, templates/emails/notice_*) and is queued in the outbox
inside the caller's transaction, so it goes out after commit or not at all.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from core.notify import send_notice
from core.references import rf_format
from tenancy.models import Membership, Role


def _language(user, cooperative) -> str:
    return user.language or cooperative.default_language or settings.LANGUAGE_CODE


def _portal_link(path: str = "/") -> str:
    return f"{settings.SMARTCOOP_BASE_URL.rstrip('/')}{path}"


def _member_message(member, build) -> None:
    language = _language(member.user, member.cooperative)
    with translation.override(language):
        subject, paragraphs = build()
    send_notice(
        to=member.user.email,
        language=language,
        cooperative=member.cooperative,
        subject=subject,
        paragraphs=paragraphs,
        link=_portal_link(),
    )


def _staff_message(cooperative, build) -> None:
    staff = Membership.objects.filter(
        role=Role.STAFF, is_active=True, user__is_active=True
    ).select_related("user")
    for membership in staff:
        language = _language(membership.user, cooperative)
        with translation.override(language):
            subject, paragraphs = build()
        send_notice(
            to=membership.user.email,
            language=language,
            cooperative=cooperative,
            subject=subject,
            paragraphs=paragraphs,
            link=_portal_link("/admin/members/member/?status__exact=applicant"),
        )


def application_received(member) -> None:
    def build():
        return _("We have received your application"), [
            _("Thank you for applying to become a member of %(coop)s.")
            % {"coop": member.cooperative.legal_name},
            _("Our staff will review your application and write to you."),
        ]

    _member_message(member, build)

    def build_staff():
        return _("New application: %(name)s") % {"name": member.full_name}, [
            _("%(name)s has applied for membership.") % {"name": member.full_name},
            _("Eligibility check passed.")
            if member.eligibility_passed
            else _("Eligibility check found problems; see the application."),
        ]

    _staff_message(member.cooperative, build_staff)


def application_approved(member) -> None:
    coop = member.cooperative

    def build():
        return _("Your application has been approved"), [
            _("Welcome! Your application to %(coop)s has been approved.")
            % {"coop": coop.legal_name},
            _(
                "Please transfer %(amount)s € for %(shares)d share(s) to %(holder)s, "
                "IBAN %(iban)s, with the reference %(reference)s. You become an active member "
                "when it arrives."
            )
            % {
                "amount": member.share_amount_due,
                "shares": member.shares,
                "holder": coop.legal_name,
                "iban": coop.iban,
                "reference": rf_format(member.share_reference),
            },
        ]

    _member_message(member, build)


def application_rejected(member, reason: str) -> None:
    def build():
        return _("Your application"), [
            _("We are sorry: your application to %(coop)s could not be accepted.")
            % {"coop": member.cooperative.legal_name},
            _("Reason: %(reason)s") % {"reason": reason},
        ]

    _member_message(member, build)


def information_requested(member, message: str) -> None:
    def build():
        return _("We need more information"), [
            _("To decide on your application we need more information:"),
            message,
            _("Please reply in the portal or upload the documents there."),
        ]

    _member_message(member, build)


def member_activated(member) -> None:
    def build():
        return _("You are now a member"), [
            _(
                "Your shares have been paid: you are now a member of %(coop)s with member number "
                "%(number)s."
            )
            % {"coop": member.cooperative.legal_name, "number": member.member_number},
        ]

    _member_message(member, build)


def member_suspended(member, reason: str) -> None:
    def build():
        return _("Your membership has been suspended"), [
            _("Your membership has been suspended."),
            _("Reason: %(reason)s") % {"reason": reason},
        ]

    _member_message(member, build)


def member_reinstated(member) -> None:
    def build():
        return _("Your membership is active again"), [_("Your membership is active again.")]

    _member_message(member, build)


def notice_confirmed(member) -> None:
    def build():
        return _("Your notice has been received"), [
            _("You leave the cooperative on %(date)s, at the end of the financial year.")
            % {"date": member.left_on.isoformat()},
            _("Your shares will be repaid by %(date)s at the latest.")
            % {"date": member.share_repayment_due_on.isoformat()},
        ]

    _member_message(member, build)


def member_left(member) -> None:
    def build():
        return _("Your membership has ended"), [
            _("Your membership of %(coop)s ended on %(date)s. Thank you!")
            % {"coop": member.cooperative.legal_name, "date": member.left_on.isoformat()},
            _("Your shares will be repaid by %(date)s at the latest.")
            % {"date": member.share_repayment_due_on.isoformat()}
            if member.share_repayment_due_on
            else "",
        ]

    _member_message(member, build)


def permit_expiring(member) -> None:
    def build():
        return _("Your permit expires soon"), [
            _(
                "Your residence and work permit expires on %(date)s. Please upload the renewed "
                "permit in the portal."
            )
            % {"date": member.permit_expires_on.isoformat()},
        ]

    _member_message(member, build)

    def build_staff():
        return _("Permit expires soon: %(name)s") % {"name": member.full_name}, [
            _("The permit of %(name)s expires on %(date)s.")
            % {"name": member.full_name, "date": member.permit_expires_on.isoformat()}
        ]

    _staff_message(member.cooperative, build_staff)


def employment_change_requested(member) -> None:
    def build_staff():
        return _("Employment data changed: %(name)s") % {"name": member.full_name}, [
            _("%(name)s changed their employment data; please confirm the change.")
            % {"name": member.full_name}
        ]

    _staff_message(member.cooperative, build_staff)


def employment_change_decided(member, confirmed: bool) -> None:
    def build():
        if confirmed:
            return _("Change confirmed"), [_("Your change of employment data has been confirmed.")]
        return _("Change not accepted"), [
            _("Your change of employment data was not accepted; please contact the staff.")
        ]

    _member_message(member, build)
