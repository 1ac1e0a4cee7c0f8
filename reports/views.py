"""The accountants' pages: DATEV export (checked against the ledger, then written as a job) and
the reports, each written by a worker with a progress bar and kept a week for download."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, STAFF, role_policy
from reports import access, cockpit, jobs, services
from reports.forms import DatevPeriodForm, ReportForm
from reports.models import ReportJob

PARAM_LABELS = {"as_of": _("On"), "date_from": _("From"), "date_to": _("Until")}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}


@require_http_methods(["GET", "POST"])
@role_policy(ACCOUNTANT, STAFF)
def datev(request):
    cooperative = request.tenancy.cooperative
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = DatevPeriodForm(data)
    preview = None
    if form.is_valid():
        start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        try:
            if request.method == "POST":
                job = jobs.report_job_request(
                    cooperative=cooperative,
                    user=request.user,
                    report="datev",
                    format="zip",
                    params={"date_from": start.isoformat(), "date_to": end.isoformat()},
                    language=request.LANGUAGE_CODE,
                )
                return redirect("portal:report_job", pk=job.pk)
            preview = services.datev_preview(cooperative=cooperative, date_from=start, date_to=end)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return render(request, "reports/datev.html", {"form": form, "preview": preview})


@require_http_methods(["GET", "POST"])
@role_policy(ACCOUNTANT, STAFF)
def reports(request):
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = jobs.report_job_request(
                cooperative=request.tenancy.cooperative,
                user=request.user,
                report=form.cleaned_data["report"],
                format=form.cleaned_data["format"],
                params=form.params(),
                language=request.LANGUAGE_CODE,
            )
            return redirect("portal:report_job", pk=job.pk)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    recent = access.report_jobs(tenancy=request.tenancy)[:20]
    return render(request, "reports/reports.html", {"form": form, "jobs": recent})


@require_GET
@role_policy(ACCOUNTANT, STAFF)
def report_job(request, pk: int):
    job = access.report_job_get(tenancy=request.tenancy, pk=pk)
    done, total = jobs.progress_of(job)
    return render(
        request,
        "reports/job.html",
        {
            "job": job,
            "params": [(PARAM_LABELS.get(key, key), value) for key, value in job.params.items()],
            "done": done,
            "total": total,
            "waiting": job.status in (ReportJob.Status.QUEUED, ReportJob.Status.RUNNING),
        },
    )


@require_GET
@role_policy(ACCOUNTANT, STAFF)
def report_download(request, pk: int):
    return download_response(access.report_job_get(tenancy=request.tenancy, pk=pk))


def download_response(job: ReportJob) -> FileResponse:
    path = jobs.file_path(job)
    if job.status != ReportJob.Status.DONE or not path.exists():
        raise Http404
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=job.file_name,
        content_type=CONTENT_TYPES[job.format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@role_policy(ACCOUNTANT, STAFF)
def cockpit_page(request):
    data = cockpit.cockpit(cooperative=request.tenancy.cooperative, as_of=timezone.localdate())
    return render(request, "reports/cockpit.html", {"c": data})
