"""Reads: the member register and a member's personal data."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.csvsafe import csv_bytes
from members.models import EmploymentData, Member, MemberStatusChange, SharePayment

REGISTER_STATUSES = (Member.Status.ACTIVE, Member.Status.SUSPENDED, Member.Status.LEFT)


def member_register_rows() -> list[dict]:
    """Everyone who is or was in the register (§ 30 GenG), by member number."""
    rows = []
    for m in Member.objects.filter(status__in=REGISTER_STATUSES).order_by("member_number"):
        rows.append(
            {
                "member_number": m.member_number,
                "last_name": m.last_name,
                "first_name": m.first_name,
                "address": ", ".join(
                    p for p in (m.street, f"{m.postal_code} {m.city}".strip(), m.country) if p
                ),
                "shares": m.shares,
                "share_amount": m.share_amount_due,
                "joined_on": m.joined_on,
                "notice_given_on": m.notice_given_on,
                "left_on": m.left_on,
                "status": m.get_status_display(),
            }
        )
    return rows


def member_register_csv(rows: list[dict]) -> bytes:
    header = [
        _("Member number"),
        _("Last name"),
        _("First name"),
        _("Address"),
        _("Shares"),
        _("Share amount (€)"),
        _("Joined on"),
        _("Notice given on"),
        _("Left on"),
        _("Status"),
    ]
    keys = [
        "member_number",
        "last_name",
        "first_name",
        "address",
        "shares",
        "share_amount",
        "joined_on",
        "notice_given_on",
        "left_on",
        "status",
    ]
    return csv_bytes(header, ([row[k] for k in keys] for row in rows))


def member_personal_data(member: Member) -> dict:
    """Everything stored about a member, for the member's own download (Art. 15, 20 GDPR)."""
    employment = EmploymentData.objects.filter(member=member).first()
    return {
        "member": {
            f.name: _plain(getattr(member, f.name))
            for f in Member._meta.concrete_fields
            if f.name not in ("id", "cooperative", "user", "permit_warning_sent_for")
        },
        "account": {"email": member.user.email, "language": member.user.language},
        "cooperative": member.cooperative.legal_name,
        "employment": {name: _plain(getattr(employment, name)) for name in EmploymentData.EDITABLE}
        if employment
        else {},
        "share_payments": [
            {
                "amount": str(p.amount),
                "paid_on": p.paid_on.isoformat(),
                "reference": p.reference,
                "cancelled": p.cancelled_at.isoformat() if p.cancelled_at else None,
            }
            for p in SharePayment.objects.filter(member=member)
        ],
        "status_changes": [
            {
                "from": c.from_status,
                "to": c.to_status,
                "reason": c.reason,
                "at": c.created_at.isoformat(),
            }
            for c in MemberStatusChange.objects.filter(member=member)
        ],
        "documents": [
            {
                "kind": d.kind,
                "file_name": d.original_name,
                "type": d.content_type,
                "size": d.size,
                "uploaded_at": d.uploaded_at.isoformat(),
            }
            for d in member.documents.all()
        ],
    }


def _plain(value):
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def personal_data_sections(data: dict) -> list[tuple[str, list[tuple[str, object]]]]:
    """The same data as labelled sections for the readable PDF."""
    labels = {f.name: str(f.verbose_name) for f in Member._meta.concrete_fields}
    employment_labels = {f.name: str(f.verbose_name) for f in EmploymentData._meta.concrete_fields}
    return [
        (_("Membership"), [(labels.get(k, k), v) for k, v in data["member"].items()]),
        (_("Account"), [(_("E-mail address"), data["account"]["email"])]),
        (_("Employment data"), [(employment_labels[k], v) for k, v in data["employment"].items()]),
        (
            _("Share payments"),
            [
                (
                    p["paid_on"],
                    f"{p['amount']} € {p['reference']}"
                    + (f" ({_('cancelled')} {p['cancelled']})" if p["cancelled"] else ""),
                )
                for p in data["share_payments"]
            ],
        ),
        (
            _("Status changes"),
            [(c["at"], f"{c['from']} → {c['to']} {c['reason']}") for c in data["status_changes"]],
        ),
        (_("Documents"), [(d["uploaded_at"], d["file_name"]) for d in data["documents"]]),
    ]
