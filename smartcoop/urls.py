from django.conf import settings
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.admin_site import site as admin_site
from core.policies import PUBLIC, declare_policy
from dunning import views as dunning_views
from expenses import views as expense_views
from guarantee import views as guarantee_views
from invoicing import invoice_views
from invoicing import views as invoicing_views
from ledger import views as ledger_views
from members import views as member_views
from payroll import views as payroll_views
from reports import views as report_views
from tenancy import views as tenancy_views
from webhooks import views as webhook_views


class ExportFormat:
    regex = "json|pdf|csv"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "fmt")

portal_patterns = (
    [
        path("", member_views.dashboard, name="dashboard"),
        path("members/<int:pk>/", member_views.member_detail, name="member_detail"),
        path(
            "members/<int:pk>/declaration.pdf",
            member_views.declaration_pdf,
            name="declaration_pdf",
        ),
        path("profile/", member_views.profile, name="profile"),
        path("documents/", member_views.documents, name="documents"),
        path(
            "documents/<int:pk>/download/",
            member_views.document_download,
            name="document_download",
        ),
        path("documents/<int:pk>/delete/", member_views.document_delete, name="document_delete"),
        path(
            "my-data.<fmt:fmt>",
            member_views.personal_data_export,
            name="personal_data",
        ),
        path("notice/", member_views.notice, name="notice"),
        path(
            "member-register.<fmt:fmt>",
            member_views.member_register_export,
            name="member_register",
        ),
        path("join/<slug:slug>/", member_views.apply, name="apply"),
        path("budget/", ledger_views.budget, name="budget"),
        path("salary/", payroll_views.salary, name="salary"),
        path("salary/planner/", payroll_views.salary_planner, name="salary_planner"),
        path("salary/category/", payroll_views.salary_category, name="salary_category"),
        path("payroll/calculator/", payroll_views.calculator, name="payroll_calculator"),
        path("expenses/", expense_views.claims, name="expenses"),
        path("expenses/<int:pk>/receipt", expense_views.receipt, name="expense_receipt"),
        path("salary/<int:pk>/", payroll_views.payslip_page, name="payslip_page"),
        path("salary/<int:pk>/payslip.pdf", payroll_views.payslip, name="payslip"),
        path("payroll/", payroll_views.runs, name="payroll_runs"),
        path("payroll/<int:pk>/", payroll_views.run_detail, name="payroll_run"),
        path("payroll/<int:pk>/lodas.txt", payroll_views.lodas, name="payroll_lodas"),
        path(
            "payroll/<int:pk>/journal.<fmt:fmt>",
            payroll_views.journal,
            name="payroll_journal",
        ),
        path(
            "payroll/<int:pk>/salaries.xml",
            payroll_views.transfer_file,
            name="payroll_transfer_file",
        ),
        path("guarantee/", guarantee_views.dashboard, name="guarantee"),
        path("clients/", invoicing_views.client_list, name="clients"),
        path("clients/new/", invoicing_views.client_edit, name="client_add"),
        path("clients/<int:pk>/", invoicing_views.client_edit, name="client_edit"),
        path("jobs/", invoicing_views.job_list, name="jobs"),
        path("jobs/new/", invoicing_views.job_edit, name="job_add"),
        path("jobs/<int:pk>/", invoicing_views.job_detail, name="job_detail"),
        path("jobs/<int:pk>/edit/", invoicing_views.job_edit, name="job_edit"),
        path("jobs/<int:pk>/send/", invoicing_views.job_send, name="job_send"),
        path("jobs/<int:pk>/invoice/", invoice_views.invoice_from_job, name="invoice_from_job"),
        path("invoices/", invoice_views.invoice_list, name="invoices"),
        path("invoices/new/", invoice_views.invoice_add, name="invoice_add"),
        path("invoices/<int:pk>/", invoice_views.invoice_detail, name="invoice_detail"),
        path("invoices/<int:pk>/edit/", invoice_views.invoice_edit, name="invoice_edit"),
        path("invoices/<int:pk>/submit/", invoice_views.invoice_submit, name="invoice_submit"),
        path("invoices/<int:pk>/delete/", invoice_views.invoice_delete, name="invoice_delete"),
        path("invoices/<int:pk>/issue/", invoice_views.invoice_issue, name="invoice_issue"),
        path("invoices/<int:pk>/return/", invoice_views.invoice_return, name="invoice_return"),
        path("invoices/<int:pk>/cancel/", invoice_views.invoice_cancel, name="invoice_cancel"),
        path(
            "invoices/<int:pk>/credit-note/",
            invoice_views.invoice_credit_note,
            name="invoice_credit_note",
        ),
        path("invoices/<int:pk>/resend/", invoice_views.invoice_resend, name="invoice_resend"),
        path(
            "invoices/<int:pk>/<str:fmt>/download/",
            invoice_views.invoice_download,
            name="invoice_download",
        ),
        path(
            "invoices/<int:pk>/collection/",
            dunning_views.collection,
            name="invoice_collection",
        ),
        path(
            "invoices/<int:pk>/reminders/<int:level>.pdf",
            dunning_views.reminder_letter,
            name="reminder_letter",
        ),
        path(
            "invoices/<int:pk>/dunning/confirm/<str:step>/",
            dunning_views.confirm,
            name="dunning_confirm",
        ),
        path("invoices/<int:pk>/dunning/pause/", dunning_views.pause, name="dunning_pause"),
        path("invoices/<int:pk>/dunning/resume/", dunning_views.resume, name="dunning_resume"),
        path("members/<int:pk>/budget/", ledger_views.budget, name="member_budget"),
        path("cooperative/switch/", tenancy_views.cooperative_switch, name="cooperative_switch"),
        path("language/", tenancy_views.language_set, name="language_set"),
        path("api-tokens/", tenancy_views.api_tokens, name="api_tokens"),
        path(
            "api-tokens/<int:pk>/revoke/", tenancy_views.api_token_revoke, name="api_token_revoke"
        ),
        path("accountant/", tenancy_views.accountant_home, name="accountant_home"),
        path("accountant/datev/", report_views.datev, name="datev_export"),
        path("accountant/reports/", report_views.reports, name="reports"),
        path("cockpit/", report_views.cockpit_page, name="cockpit"),
        path("webhooks/", webhook_views.endpoints, name="webhooks"),
        path("webhooks/<int:pk>/", webhook_views.endpoint_detail, name="webhook"),
        path("webhooks/<int:pk>/delete/", webhook_views.endpoint_delete, name="webhook_delete"),
        path(
            "webhooks/<int:pk>/deliveries/<int:delivery_pk>/retry/",
            webhook_views.delivery_retry,
            name="webhook_delivery_retry",
        ),
        path("accountant/reports/<int:pk>/", report_views.report_job, name="report_job"),
        path(
            "accountant/reports/<int:pk>/download/",
            report_views.report_download,
            name="report_download",
        ),
        path("cooperative/logo/", tenancy_views.cooperative_logo, name="cooperative_logo"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("healthz", tenancy_views.healthz, name="healthz"),
    path(
        "confirm/<slug:slug>/<int:pk>/<str:token>/",
        invoicing_views.job_confirm,
        name="job_confirm",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin_site.urls),
    path("api/v1/", include("smartcoop.api")),
    path(
        "api/schema/",
        declare_policy(SpectacularAPIView.as_view(), PUBLIC),
        name="api-schema",
    ),
    path(
        "api/docs/",
        declare_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema"), PUBLIC),
        name="api-docs",
    ),
]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

if settings.SMARTCOOP_BENCH_VIEWS:
    urlpatterns.append(path("bench/bare/", core_views.bench_bare, name="bench_bare"))
