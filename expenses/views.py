"""The member's expense claims: the list, a new claim with its receipt, the receipt again."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.downloads import attachment
from core.exceptions import ApplicationError
from core.policies import MEMBER, role_policy
from expenses import access, receipts, services
from expenses.forms import ExpenseClaimForm
from members import access as member_access

# content type → file name extension of the download
EXTENSIONS = {kind: suffix[1:] for suffix, kind in receipts.EXTENSIONS.items()}


def receipt_response(claim):
    name = f"receipt-{claim.pk}.{EXTENSIONS.get(claim.receipt_type, 'bin')}"
    return attachment(bytes(claim.receipt), name, claim.receipt_type)


def claim_input(data: dict) -> services.ClaimInput:
    return services.ClaimInput(
        category=data["category"],
        description=data["description"],
        supplier=data.get("supplier") or "",
        receipt_date=data.get("receipt_date"),
        receipt_number=data.get("receipt_number") or "",
        gross=data.get("gross"),
        vat_rate=data.get("vat_rate"),
    )


@role_policy(MEMBER)
def claims(request):
    member = member_access.own_member(user=request.user)
    form = ExpenseClaimForm()
    if request.method == "POST":
        form = ExpenseClaimForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                claim = services.expense_submit(
                    member=member,
                    actor=request.user,
                    values=claim_input(form.cleaned_data),
                    upload=form.cleaned_data["receipt"],
                )
            except ApplicationError as exc:
                field = exc.extra.get("field", "receipt")
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                if claim.read_from_einvoice:
                    messages.success(
                        request,
                        _(
                            "Your claim was submitted. Read from the e-invoice: %(supplier)s, "
                            "no. %(number)s, %(amount)s €."
                        )
                        % {
                            "supplier": claim.supplier,
                            "number": claim.receipt_number,
                            "amount": claim.gross,
                        },
                    )
                else:
                    messages.success(request, _("Your claim was submitted."))
                return redirect("portal:expenses")
    return render(
        request,
        "expenses/claims.html",
        {"member": member, "form": form, "claims": access.own_claims(member=member)},
    )


@role_policy(MEMBER)
def receipt(request, pk: int):
    member = member_access.own_member(user=request.user)
    return receipt_response(access.own_claim(member=member, pk=pk))
