"""E-mails about expense claims, in the member's language (outbox, sent after commit)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from members.notifications import _member_message, _staff_message


def claim_submitted(claim) -> None:
    def build():
        return _("Expense claim to check"), [
            _("%(member)s submitted an expense claim of %(amount)s € (%(supplier)s).")
            % {"member": claim.member, "amount": claim.gross, "supplier": claim.supplier},
        ]

    _staff_message(claim.member.cooperative, build)


def claim_decided(claim) -> None:
    def build():
        if claim.status == claim.Status.REJECTED:
            return _("Your expense claim was rejected"), [
                _("Your expense claim of %(amount)s € (%(supplier)s) was rejected.")
                % {"amount": claim.gross, "supplier": claim.supplier},
                _("Reason: %(reason)s") % {"reason": claim.reject_reason},
            ]
        return _("Your expense claim was approved"), [
            _(
                "Your expense claim of %(amount)s € (%(supplier)s) was approved; it is paid "
                "out with your next salary."
            )
            % {"amount": claim.gross, "supplier": claim.supplier},
        ]

    _member_message(claim.member, build)
