"""The collection page of an invoice: payments received, reminders sent, dunning pause and the
member's confirmations. Members see their own invoices, staff and accountants all."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from banking import services as banking_services
from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, MEMBER, STAFF, role_policy
from dunning import services
from dunning.models import Confirmation, Pause, Reminder, ReminderLetter
from invoicing import access


def collection_context(invoice) -> dict:
    return {
        "invoice": invoice,
        "payment": banking_services.payment_state(invoice),
        "allocations": invoice.allocations.select_related("transaction").order_by("created_at"),
        "reminders": Reminder.objects.filter(invoice=invoice)
        .select_related("letter")
        .defer("letter__content")
        .order_by("level"),
        "pause": Pause.objects.filter(invoice=invoice, ended_at__isnull=True).first(),
        "confirmations": {c.step: c for c in Confirmation.objects.filter(invoice=invoice)},
        "escalation": getattr(invoice, "escalation", None),
        # Reverse accessors of the guarantee app (no import: dunning does not depend on it).
        "advance": getattr(invoice, "guarantee_advance", None),
        "write_off": getattr(invoice, "guarantee_write_off", None),
    }


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def collection(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    context = collection_context(invoice)
    context["is_own"] = invoice.member.user_id == request.user.pk
    context["is_staff"] = request.tenancy.has_any(STAFF)
    return render(request, "dunning/collection.html", context)


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def reminder_letter(request, pk: int, level: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    letter = ReminderLetter.objects.filter(reminder__invoice=invoice, reminder__level=level).first()
    if letter is None:
        raise Http404
    response = HttpResponse(bytes(letter.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number_text}-{level}.pdf"'
    return response


def _back(request, invoice, action, success):
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("portal:invoice_collection", invoice.pk)


@require_POST
@role_policy(MEMBER, STAFF)
def confirm(request, pk: int, step: str):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    if invoice.member.user_id != request.user.pk and not request.tenancy.has_any(STAFF):
        raise Http404
    return _back(
        request,
        invoice,
        lambda: services.dunning_confirm(
            invoice=invoice,
            step=step,
            actor=request.user,
            staff_reason=request.POST.get("reason", ""),
        ),
        _("Thank you: your decision has been recorded."),
    )


@require_POST
@role_policy(STAFF)
def pause(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return _back(
        request,
        invoice,
        lambda: services.dunning_pause(
            invoice=invoice, actor=request.user, reason=request.POST.get("reason", "")
        ),
        _("Dunning is paused for this invoice."),
    )


@require_POST
@role_policy(STAFF)
def resume(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return _back(
        request,
        invoice,
        lambda: services.dunning_resume(invoice=invoice, actor=request.user),
        _("Dunning resumes for this invoice."),
    )
