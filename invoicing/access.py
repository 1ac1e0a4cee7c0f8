"""Access functions for clients and jobs: staff see all of the cooperative's; a member the
clients they created or work for and their own jobs. Anything else answers 404."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from core.policies import STAFF
from invoicing.models import Client, Job


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
