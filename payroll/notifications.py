"""E-mails about salaries, in the member's language (queued in the outbox, sent after commit)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from members.notifications import _member_message


def line_rejected(line) -> None:
    def build():
        return _("Your salary for %(month)s") % {"month": line.run}, [
            _("Your salary for %(month)s was not approved and will not be paid this month.")
            % {"month": line.run},
            _("Reason: %(reason)s") % {"reason": line.reject_reason},
            _("Please contact the cooperative's staff if anything is unclear."),
        ]

    _member_message(line.member, build)
