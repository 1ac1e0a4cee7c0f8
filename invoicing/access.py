"""Access functions for clients and jobs: staff see all of the cooperative's; a member the
clients they created or work for and their own jobs. Anything else answers 404."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from invoicing.models import Client, Invoice, Job
from members.models import Member


def client_queryset(*, tenancy, user):
    if tenancy.has_any(STAFF):
        return Client.objects.all()
    return Client.objects.filter(Q(created_by__user=user) | Q(jobs__member__user=user)).distinct()


def client_get_for(*, tenancy, user, pk: int) -> Client:
    client = client_queryset(tenancy=tenancy, user=user).filter(pk=pk).first()
    if client is None:
        raise Http404
    return client


def job_queryset(*, tenancy, user):
    queryset = Job.objects.select_related("client", "member")
    if tenancy.has_any(STAFF):
        return queryset
    return queryset.filter(member__user=user)


def job_get_for(*, tenancy, user, pk: int) -> Job:
    job = job_queryset(tenancy=tenancy, user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def invoice_queryset(*, tenancy, user):
    """Staff and accountants see the cooperative's invoices; a member their own."""
    cancelled = Invoice.objects.filter(corrects=OuterRef("pk"), kind=Invoice.Kind.CANCELLATION)
    queryset = Invoice.objects.select_related("client", "member", "corrects", "job").annotate(
        is_cancelled=Exists(cancelled)
    )
    if tenancy.has_any(STAFF, ACCOUNTANT):
        return queryset
    # By the member's id, not through a join on the user: the list then reads the newest
    # twenty from the (member, created_at, id) index instead of sorting all of them.
    member_id = Member.objects.filter(user=user).values_list("pk", flat=True).first()
    return queryset.filter(member_id=member_id)


def invoice_get_for(*, tenancy, user, pk: int) -> Invoice:
    invoice = invoice_queryset(tenancy=tenancy, user=user).filter(pk=pk).first()
    if invoice is None:
        raise Http404
    return invoice


def invoice_get_own_draft(*, tenancy, user, pk: int) -> Invoice:
    """Drafts are the member's own work: even staff change them only by returning them."""
    invoice = (
        Invoice.objects.select_related("client", "job").filter(pk=pk, member__user=user).first()
    )
    if invoice is None:
        raise Http404
    return invoice
