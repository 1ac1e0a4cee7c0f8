"""Report jobs belong to the cooperative: its staff and accountants see all of them. Another
cooperative's job, or anyone else asking, gets Http404 like a missing one."""

from __future__ import annotations

from django.http import Http404

from core.policies import ACCOUNTANT, STAFF
from reports.models import ReportJob


def report_jobs(*, tenancy):
    if not tenancy.has_any(STAFF, ACCOUNTANT):
        raise Http404
    return ReportJob.objects.select_related("requested_by")


def report_job_get(*, tenancy, pk: int) -> ReportJob:
    job = report_jobs(tenancy=tenancy).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job
