"""Portal pages for invoices: members draft, submit, download and resend; staff issue, return,
cancel and credit (the bulk queue is in the administration); accountants read."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, MEMBER, STAFF, role_policy
from invoicing import access, delivery, invoice_services, selectors
from invoicing.forms import (
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineForm,
    InvoiceLineFormSet,
    ReasonForm,
    ResendForm,
)
from invoicing.invoice_api import document_response
from invoicing.invoice_services import INVOICE_FIELDS
from invoicing.models import Invoice
from invoicing.views import _apply_errors
from members import access as member_access


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def invoice_list(request):
    filters = InvoiceFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    invoices = selectors.invoice_list(
        invoices=access.invoice_queryset(tenancy=request.tenancy, user=request.user),
        filters={k: v for k, v in cleaned.items() if v not in (None, "")},
    )
    page = Paginator(invoices, 50).get_page(request.GET.get("page"))
    return render(request, "invoicing/invoice_list.html", {"page": page, "filters": filters})


def _edit(request, invoice: Invoice | None):
    member = member_access.own_member(user=request.user)
    clients = access.client_queryset(tenancy=request.tenancy, user=request.user)
    jobs = access.job_queryset(tenancy=request.tenancy, user=request.user).filter(member=member)
    initial_lines = (
        [InvoiceLineForm.initial_for(line) for line in invoice.lines.all()] if invoice else None
    )
    form = InvoiceForm(request.POST or None, instance=invoice, clients=clients, jobs=jobs)
    lines = InvoiceLineFormSet(request.POST or None, initial=initial_lines, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        values = {field: form.cleaned_data[field] for field in INVOICE_FIELDS}
        line_values = [f.line_values() for f in lines if f.has_changed() or f.cleaned_data]
        line_values = [v for v in line_values if v.description]
        try:
            saved = invoice_services.invoice_save_draft(
                invoice=invoice, member=member, values=values, lines=line_values
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The draft has been saved."))
            return redirect("portal:invoice_detail", saved.pk)
    return render(
        request,
        "invoicing/invoice_form.html",
        {"form": form, "lines": lines, "invoice": invoice},
    )


@role_policy(MEMBER)
def invoice_add(request):
    return _edit(request, None)


@role_policy(MEMBER)
def invoice_edit(request, pk: int):
    invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
    if invoice.status != Invoice.Status.DRAFT:
        messages.error(request, _("Only drafts can be changed."))
        return redirect("portal:invoice_detail", invoice.pk)
    return _edit(request, invoice)


@require_POST
@role_policy(MEMBER)
def invoice_from_job(request, pk: int):
    member = member_access.own_member(user=request.user)
    job = access.job_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    try:
        invoice = invoice_services.invoice_draft_from_job(job=job, member=member)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:job_detail", job.pk)
    messages.success(request, _("A draft invoice has been created from the job."))
    return redirect("portal:invoice_detail", invoice.pk)


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def invoice_detail(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    context = {
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "deliveries": invoice.deliveries.select_related("email"),
        "corrections": invoice.corrections.all(),
        "is_own": invoice.member.user_id == request.user.pk,
        "is_staff": request.tenancy.has_any(STAFF),
        "reason_form": ReasonForm(),
        "resend_form": ResendForm(),
        "formats": [
            ("pdf", _("PDF")),
            ("zugferd", _("ZUGFeRD PDF")),
            ("xrechnung-cii", _("XRechnung (CII)")),
            ("xrechnung-ubl", _("XRechnung (UBL)")),
        ],
    }
    return render(request, "invoicing/invoice_detail.html", context)


def _act(request, invoice: Invoice, action, success: str):
    try:
        result = action()
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:invoice_detail", invoice.pk)
    messages.success(request, success)
    # A cancellation answers with the new document; show that one.
    target = result if isinstance(result, Invoice) else invoice
    return redirect("portal:invoice_detail", target.pk)


@require_POST
@role_policy(MEMBER)
def invoice_submit(request, pk: int):
    invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
    return _act(
        request,
        invoice,
        lambda: invoice_services.invoice_submit(invoice=invoice, actor=request.user),
        _("The invoice has been submitted."),
    )


@require_POST
@role_policy(MEMBER)
def invoice_delete(request, pk: int):
    invoice = access.invoice_get_own_draft(tenancy=request.tenancy, user=request.user, pk=pk)
    try:
        invoice_services.invoice_delete_draft(invoice=invoice)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:invoice_detail", invoice.pk)
    messages.success(request, _("The draft has been deleted."))
    return redirect("portal:invoices")


@require_POST
@role_policy(STAFF)
def invoice_issue(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return _act(
        request,
        invoice,
        lambda: invoice_services.invoice_issue(invoice=invoice, actor=request.user),
        _("The invoice has been issued and is being sent to the client."),
    )


def _with_reason(request, pk: int, service, success: str):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason."))
        return redirect("portal:invoice_detail", invoice.pk)
    return _act(
        request,
        invoice,
        lambda: service(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"]),
        success,
    )


@require_POST
@role_policy(STAFF)
def invoice_return(request, pk: int):
    return _with_reason(
        request, pk, invoice_services.invoice_return, _("The invoice has been returned.")
    )


@require_POST
@role_policy(STAFF)
def invoice_cancel(request, pk: int):
    return _with_reason(
        request,
        pk,
        invoice_services.invoice_cancel,
        _("A cancellation invoice has been issued."),
    )


@role_policy(STAFF)
def invoice_credit_note(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    form = ReasonForm(request.POST or None)
    lines = InvoiceLineFormSet(
        request.POST or None,
        initial=[InvoiceLineForm.initial_for(line) for line in invoice.lines.all()],
        prefix="lines",
    )
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        values = [f.line_values() for f in lines if f.cleaned_data]
        try:
            credit = invoice_services.invoice_credit_note(
                invoice=invoice,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                lines=values,
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The credit note has been issued."))
            return redirect("portal:invoice_detail", credit.pk)
    return render(
        request,
        "invoicing/invoice_credit_note.html",
        {"invoice": invoice, "form": form, "lines": lines},
    )


@require_POST
@role_policy(MEMBER, STAFF)
def invoice_resend(request, pk: int):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    form = ResendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid e-mail address."))
        return redirect("portal:invoice_detail", invoice.pk)
    return _act(
        request,
        invoice,
        lambda: delivery.delivery_resend(
            invoice=invoice, actor=request.user, to=form.cleaned_data["to"]
        ),
        _("The invoice will be sent again."),
    )


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def invoice_download(request, pk: int, fmt: str):
    invoice = access.invoice_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    try:
        return document_response(invoice, fmt)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("portal:invoice_detail", invoice.pk)
