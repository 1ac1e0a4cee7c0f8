"""The events other apps emit, with their payloads. Each is called inside the transaction that
made it happen, so a rolled-back action announces nothing."""

from __future__ import annotations

from webhooks.models import Event
from webhooks.services import webhook_emit, webhook_emit_many


def _invoice(invoice) -> dict:
    return {
        "id": invoice.pk,
        "number": invoice.number_text,
        "kind": invoice.kind,
        "member_number": invoice.member.member_number,
        "client": invoice.client.name,
        "issue_date": invoice.issue_date,
        "due_date": invoice.due_date,
        "net": invoice.net_total,
        "vat": invoice.vat_total,
        "gross": invoice.gross_total,
        "currency": invoice.currency,
    }


def invoice_issued(invoice) -> None:
    invoices_issued([invoice])


def invoices_issued(invoices) -> None:
    webhook_emit_many(
        event=Event.INVOICE_ISSUED,
        items=[(i.member, str(i.pk), {"invoice": _invoice(i)}) for i in invoices],
    )


def invoice_paid(invoice, *, paid, settled_by: int) -> None:
    """`settled_by`: the allocation that completed the payment (a payment undone and made
    again is a new event)."""
    webhook_emit(
        event=Event.INVOICE_PAID,
        key=f"{invoice.pk}:{settled_by}",
        data={"invoice": {**_invoice(invoice), "paid": paid}},
        member=invoice.member,
    )


def reminder_sent(reminder) -> None:
    invoice = reminder.invoice
    webhook_emit(
        event=Event.REMINDER_SENT,
        key=str(reminder.pk),
        data={
            "reminder": {
                "id": reminder.pk,
                "level": reminder.level,
                "dated": reminder.dated,
                "pay_by": reminder.pay_by,
                "open_amount": reminder.open_amount,
                "interest": reminder.interest,
                "fee": reminder.fee,
                "total": reminder.total,
            },
            "invoice": _invoice(invoice),
        },
        member=invoice.member,
    )


def salaries_approved(run, lines) -> None:
    """One event per member for their own endpoints, one per run for the cooperative's."""
    month = run.month.strftime("%Y-%m")
    webhook_emit_many(
        event=Event.SALARY_APPROVED,
        items=[
            (
                line.member,
                f"line-{line.pk}",
                {
                    "salary": {
                        "month": month,
                        "gross": line.gross,
                        "net": line.net,
                        "employer_cost": line.employer_cost,
                    }
                },
            )
            for line in lines
        ],
        audience="member",
    )
    webhook_emit(
        event=Event.SALARY_APPROVED,
        key=f"run-{run.pk}",
        data={
            "payroll_run": {
                "id": run.pk,
                "month": month,
                "lines": len(lines),
                "gross": sum(line.gross for line in lines),
                "net": sum(line.net for line in lines),
                "employer_cost": sum(line.employer_cost for line in lines),
            }
        },
        audience="cooperative",
    )
