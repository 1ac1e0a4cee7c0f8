"""The accountant's DATEV page: check a period against the ledger, then download the package."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from core.downloads import attachment
from core.exceptions import ApplicationError
from core.policies import ACCOUNTANT, STAFF, role_policy
from reports import services
from reports.forms import DatevPeriodForm


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
                with tempfile.TemporaryDirectory(prefix="datev-") as directory:
                    package = services.datev_package_write(
                        cooperative=cooperative,
                        date_from=start,
                        date_to=end,
                        exported_by=request.user.full_name[:25],
                        directory=Path(directory),
                    )
                    content = services.zip_directory(package)
                name = f"DATEV_{cooperative.slug}_{start:%Y%m%d}_{end:%Y%m%d}.zip"
                return attachment(content, name, "application/zip")
            preview = services.datev_preview(cooperative=cooperative, date_from=start, date_to=end)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
    return render(request, "reports/datev.html", {"form": form, "preview": preview})
