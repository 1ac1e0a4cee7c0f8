"""Portal pages for clients and jobs, and the public confirmation page for clients."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError
from core.policies import MEMBER, PUBLIC, STAFF, role_policy
from invoicing import access, services
from invoicing.forms import ClientForm, JobAnswerForm, JobForm
from members import access as member_access
from tenancy.models import Cooperative
from tenancy.scope import tenant_scope


def _apply_errors(form, exc: ApplicationError) -> None:
    form.add_error(None, exc.message)
    for field, errors in exc.extra.items():
        for error in errors:
            if field in form.fields and error != exc.message:
                form.add_error(field, error)


@role_policy(MEMBER, STAFF)
def client_list(request):
    clients = access.client_queryset(tenancy=request.tenancy, user=request.user)
    return render(request, "invoicing/client_list.html", {"clients": clients})


@role_policy(MEMBER, STAFF)
def client_edit(request, pk: int | None = None):
    client = (
        access.client_get_for(tenancy=request.tenancy, user=request.user, pk=pk) if pk else None
    )
    form = ClientForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        member = (
            member_access.own_member(user=request.user)
            if client is None and not request.tenancy.has_any(STAFF)
            else None
        )
        try:
            services.client_save(
                client=client,
                values={f: form.cleaned_data[f] for f in services.CLIENT_FIELDS},
                member=member,
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The client has been saved."))
            return redirect("portal:clients")
    return render(request, "invoicing/client_form.html", {"form": form, "client": client})


@role_policy(MEMBER, STAFF)
def job_list(request):
    jobs = access.job_queryset(tenancy=request.tenancy, user=request.user)
    return render(request, "invoicing/job_list.html", {"jobs": jobs})


@role_policy(MEMBER)
def job_edit(request, pk: int | None = None):
    member = member_access.own_member(user=request.user)
    job = access.job_get_for(tenancy=request.tenancy, user=request.user, pk=pk) if pk else None
    clients = access.client_queryset(tenancy=request.tenancy, user=request.user)
    form = JobForm(request.POST or None, instance=job, clients=clients)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.job_save(
                job=job,
                member=member,
                values={f: form.cleaned_data[f] for f in services.JOB_FIELDS},
            )
        except ApplicationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The job has been saved."))
            return redirect("portal:job_detail", saved.pk)
    return render(request, "invoicing/job_form.html", {"form": form, "job": job})


@role_policy(MEMBER, STAFF)
def job_detail(request, pk: int):
    job = access.job_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    return render(request, "invoicing/job_detail.html", {"job": job})


@require_POST
@role_policy(MEMBER)
def job_send(request, pk: int):
    job = access.job_get_for(tenancy=request.tenancy, user=request.user, pk=pk)
    try:
        services.job_send_for_confirmation(job=job, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The client has been asked to confirm the job."))
    return redirect("portal:job_detail", job.pk)


@role_policy(PUBLIC)
def job_confirm(request, slug: str, pk: int, token: str):
    """The client's page: accept or decline, no account. Any wrong part of the link is a 404."""
    cooperative = Cooperative.objects.filter(slug=slug, is_active=True).first()
    if cooperative is None:
        raise Http404
    with tenant_scope(cooperative):
        job = services.job_for_token(job_id=pk, token=token)
        if job is None:
            raise Http404
        translation.activate(job.client.language)  # the client's document language
        form = JobAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.job_answer(
                    job=job,
                    accept=request.POST.get("answer") == "accept",
                    name=form.cleaned_data["name"],
                    reason=form.cleaned_data["reason"],
                    ip=request.META.get("REMOTE_ADDR"),
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return render(request, "invoicing/job_answered.html", {"job": job})
        return render(request, "invoicing/job_confirm.html", {"job": job, "form": form})
