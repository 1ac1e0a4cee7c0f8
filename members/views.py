"""Member portal pages and the public application."""

from __future__ import annotations

import json

from allauth.account import app_settings as allauth_settings
from allauth.account.utils import complete_signup, setup_user_email
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from core.downloads import attachment
from core.exceptions import ApplicationError
from core.pdf import render_pdf
from core.policies import ACCOUNTANT, AUTHENTICATED, MEMBER, PUBLIC, STAFF, role_policy
from core.references import rf_format
from members import access, selectors, services
from members.forms import ApplicationForm, DocumentUploadForm, EmploymentDataForm, NoticeForm
from members.models import EmploymentData, EmploymentDataChange, Member
from tenancy import services as tenancy_services
from tenancy.models import Cooperative, Role
from tenancy.scope import tenant_scope


@role_policy(AUTHENTICATED)
def dashboard(request):
    tenancy = request.tenancy
    own_member = None
    member_count = None
    open_applications = None
    if tenancy.cooperative is not None:
        own_member = Member.objects.filter(user=request.user).first()
        if tenancy.has_any(STAFF, ACCOUNTANT):
            member_count = Member.objects.filter(status=Member.Status.ACTIVE).count()
        if tenancy.has_any(STAFF):
            open_applications = Member.objects.filter(status=Member.Status.APPLICANT).count()
    role_labels = [Role(role).label for role in sorted(tenancy.roles)]
    return render(
        request,
        "members/dashboard.html",
        {
            "own_member": own_member,
            "member_count": member_count,
            "open_applications": open_applications,
            "role_labels": role_labels,
            "next_steps": _next_steps(own_member) if own_member else [],
            "reference": rf_format(own_member.share_reference)
            if own_member and own_member.share_reference
            else "",
        },
    )


def _next_steps(member: Member) -> list[str]:
    status = member.status
    steps = []
    if status == Member.Status.APPLICANT:
        steps.append(_("Your application is being reviewed."))
        if member.info_requested:
            steps.append(
                _("We need more information: %(message)s") % {"message": member.info_requested}
            )
    elif status == Member.Status.APPROVED:
        steps.append(
            _("Transfer %(amount)s € for your shares with the reference shown below.")
            % {"amount": member.share_amount_due}
        )
    elif status == Member.Status.ACTIVE:
        employment = EmploymentData.objects.filter(member=member).first()
        if employment and not (
            employment.tax_id and employment.social_insurance_number and employment.iban
        ):
            steps.append(_("Complete your employment data so that you can be paid."))
        if member.left_on:
            steps.append(_("You leave the cooperative on %(date)s.") % {"date": member.left_on})
    elif status == Member.Status.SUSPENDED:
        steps.append(_("Your membership is suspended. Please contact the staff."))
    return steps


@sensitive_post_parameters("password1", "password2")
@role_policy(PUBLIC)
def apply(request, slug: str):
    """The public online application to one cooperative (creates the account if needed)."""
    cooperative = Cooperative.objects.filter(slug=slug, is_active=True).first()
    if cooperative is None:
        raise Http404
    needs_account = not request.user.is_authenticated
    declaration = None
    with tenant_scope(
        cooperative, user_id=request.user.pk if request.user.is_authenticated else None
    ):
        rules = services.eligibility_rules_get(cooperative=cooperative)
        if request.method == "POST":
            form = ApplicationForm(request.POST, needs_account=needs_account)
            if form.is_valid():
                data = form.cleaned_data
                text, digest = services.declaration_render(
                    cooperative=cooperative,
                    rules=rules,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    shares=data["shares"],
                    language=get_language(),
                )
                declaration = {"text": text, "sha256": digest}
                if request.POST.get("action") == "sign":
                    response = _submit_application(request, cooperative, form)
                    if response is not None:
                        return response
                form.data = form.data.copy()
                form.data["declaration_sha256"] = digest
        else:
            form = ApplicationForm(
                needs_account=needs_account, initial={"shares": rules.minimum_shares}
            )
    return render(
        request,
        "members/apply.html",
        {
            "form": form,
            "apply_cooperative": cooperative,
            "rules": rules,
            "declaration": declaration,
        },
    )


@sensitive_variables("data")
def _submit_application(request, cooperative, form):
    data = form.cleaned_data
    fields = {name: data[name] for name in services.ApplicationData.__dataclass_fields__}
    try:
        with tenant_scope(cooperative):
            user = request.user
            if form.needs_account:
                user = tenancy_services.user_create(
                    email=data["email"],
                    password=data["password1"],
                    full_name=f"{data['first_name']} {data['last_name']}".strip(),
                    language=get_language(),
                )
                setup_user_email(request, user, [])
            member = services.application_submit(
                cooperative=cooperative,
                user=user,
                data=services.ApplicationData(**fields),
                declaration_sha256=data.get("declaration_sha256") or "",
                accepted_statutes=data["accept_statutes"],
                accepted_privacy=data["accept_privacy"],
                ip=request.META.get("REMOTE_ADDR"),
                language=get_language(),
            )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        for field, errors in exc.extra.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
        return None
    messages.success(request, _("Thank you! Your application has been received."))
    if form.needs_account:
        request.session["smartcoop_active_cooperative"] = cooperative.pk
        return complete_signup(
            request,
            user,
            allauth_settings.EMAIL_VERIFICATION,
            reverse("portal:dashboard"),
        )
    request.session["smartcoop_active_cooperative"] = member.cooperative_id
    return redirect("portal:dashboard")


@role_policy(MEMBER, STAFF)
def declaration_pdf(request, pk: int):
    member = access.member_get_own_or_staff(tenancy=request.tenancy, user=request.user, pk=pk)
    if not member.declaration_text:
        raise Http404
    pdf = render_pdf(
        "pdf/declaration.html",
        {
            "member": member,
            "cooperative": member.cooperative,
            "reference": rf_format(member.share_reference) if member.share_reference else "",
        },
    )
    return attachment(pdf, f"membership-declaration-{member.pk}.pdf", "application/pdf")


@role_policy(MEMBER, STAFF, ACCOUNTANT)
def member_detail(request, pk: int):
    member = access.member_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return render(request, "members/member_detail.html", {"member": member})


@sensitive_post_parameters()
@role_policy(MEMBER)
def profile(request):
    """Own personal data, employment data (changes after activation wait for staff)."""
    member = access.own_member(user=request.user)
    employment = EmploymentData.objects.filter(member=member).first()
    if employment is None:  # anonymised application: nothing left to show
        raise Http404
    if request.method == "POST":
        form = EmploymentDataForm(request.POST, instance=employment)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in EmploymentData.EDITABLE}
            try:
                result = services.employment_data_update(
                    member=member, values=values, actor=request.user
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                if isinstance(result, EmploymentDataChange):
                    messages.info(
                        request, _("Your change has been sent to the staff for confirmation.")
                    )
                else:
                    messages.success(request, _("Your employment data has been saved."))
                return redirect("portal:profile")
    else:
        form = EmploymentDataForm(instance=employment)
    pending = EmploymentDataChange.objects.filter(
        member=member, status=EmploymentDataChange.Status.PENDING
    )
    return render(
        request,
        "members/profile.html",
        {"member": member, "form": form, "pending": pending},
    )


@role_policy(MEMBER)
def documents(request):
    member = access.own_member(user=request.user)
    form = DocumentUploadForm()
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.document_upload(
                    member=member,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, _("The document has been uploaded."))
                return redirect("portal:documents")
    return render(
        request,
        "members/documents.html",
        {"member": member, "form": form, "documents": member.documents.all()},
    )


@role_policy(MEMBER, STAFF)
def document_download(request, pk: int):
    document = access.document_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    response = FileResponse(
        services.document_open(document=document),
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@role_policy(MEMBER)
def document_delete(request, pk: int):
    document = access.document_get_for(
        tenancy=request.tenancy, user=request.user, pk=pk, own_only=True
    )
    services.document_delete(document=document)
    messages.success(request, _("The document has been deleted."))
    return redirect("portal:documents")


@role_policy(MEMBER)
def personal_data_export(request, fmt: str):
    member = access.own_member(user=request.user)
    if fmt not in ("json", "pdf"):
        raise Http404
    data = selectors.member_personal_data(member)
    stamp = timezone.localdate().isoformat()
    if fmt == "json":
        content = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return attachment(content, f"personal-data-{stamp}.json", "application/json")
    pdf = render_pdf(
        "pdf/personal_data.html",
        {"cooperative": member.cooperative, "sections": selectors.personal_data_sections(data)},
    )
    return attachment(pdf, f"personal-data-{stamp}.pdf", "application/pdf")


@role_policy(MEMBER)
def notice(request):
    member = access.own_member(user=request.user)
    form = NoticeForm(request.POST) if request.method == "POST" else NoticeForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.member_give_notice(
                member=member, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your notice has been recorded."))
            return redirect("portal:dashboard")
    return render(request, "members/notice.html", {"member": member, "form": form})


@role_policy(STAFF, ACCOUNTANT)
def member_register_export(request, fmt: str):
    if fmt not in ("csv", "pdf"):
        raise Http404
    rows = selectors.member_register_rows()
    stamp = timezone.localdate().isoformat()
    if fmt == "csv":
        return attachment(
            selectors.member_register_csv(rows), f"member-register-{stamp}.csv", "text/csv"
        )
    pdf = render_pdf(
        "pdf/member_register.html",
        {"cooperative": request.tenancy.cooperative, "rows": rows, "today": timezone.localdate()},
    )
    return attachment(pdf, f"member-register-{stamp}.pdf", "application/pdf")
