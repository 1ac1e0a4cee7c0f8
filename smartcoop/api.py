"""Routes of the REST API, version 1."""

from django.urls import path

from dunning import api as dunning_api
from expenses import api as expense_api
from invoicing import api as invoicing_api
from invoicing import invoice_api
from ledger import api as ledger_api
from members import api as members_api
from payroll import api as payroll_api
from reports import api as report_api
from tenancy import api as tenancy_api
from webhooks import api as webhook_api

app_name = "api"

urlpatterns = [
    path("me/", tenancy_api.MeApi.as_view(), name="me"),
    path("cooperative/", tenancy_api.CooperativeApi.as_view(), name="cooperative"),
    path("members/", members_api.MemberListApi.as_view(), name="member-list"),
    path("members/me/", members_api.OwnMemberApi.as_view(), name="member-me"),
    path("members/me/documents/", members_api.OwnDocumentsApi.as_view(), name="member-documents"),
    path("members/me/budget/", ledger_api.OwnBudgetApi.as_view(), name="member-budget-own"),
    path("members/<int:pk>/budget/", ledger_api.MemberBudgetApi.as_view(), name="member-budget"),
    path("members/me/salaries/", payroll_api.OwnSalaryListApi.as_view(), name="salary-list"),
    path("members/me/salary-plan/", payroll_api.OwnSalaryPlanApi.as_view(), name="salary-plan"),
    path(
        "members/me/salary-category/",
        payroll_api.OwnSalaryCategoryApi.as_view(),
        name="salary-category",
    ),
    path("members/me/expenses/", expense_api.OwnExpenseListApi.as_view(), name="expense-list"),
    path(
        "members/me/expenses/<int:pk>/receipt/",
        expense_api.OwnExpenseReceiptApi.as_view(),
        name="expense-receipt",
    ),
    path(
        "members/me/salaries/<int:pk>/payslip/",
        payroll_api.OwnPayslipApi.as_view(),
        name="salary-payslip",
    ),
    path("payroll/runs/", payroll_api.PayrollRunListApi.as_view(), name="payroll-run-list"),
    path("reports/", report_api.ReportJobListApi.as_view(), name="report-job-list"),
    path("cockpit/", report_api.CockpitApi.as_view(), name="cockpit"),
    path("webhooks/", webhook_api.EndpointListApi.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", webhook_api.EndpointApi.as_view(), name="webhook-detail"),
    path(
        "webhooks/<int:pk>/deliveries/",
        webhook_api.DeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path("reports/<int:pk>/", report_api.ReportJobApi.as_view(), name="report-job-detail"),
    path(
        "reports/<int:pk>/download/",
        report_api.ReportDownloadApi.as_view(),
        name="report-job-download",
    ),
    path(
        "payroll/runs/<int:pk>/journal/<str:fmt>/",
        payroll_api.PayrollJournalApi.as_view(),
        name="payroll-run-journal",
    ),
    path(
        "payroll/runs/<int:pk>/lodas/",
        payroll_api.PayrollLodasApi.as_view(),
        name="payroll-run-lodas",
    ),
    path(
        "payroll/runs/<int:pk>/certified-results/",
        payroll_api.CertifiedResultsApi.as_view(),
        name="payroll-run-certified",
    ),
    path(
        "payroll/runs/<int:pk>/transfer-file/",
        payroll_api.PayrollTransferFileApi.as_view(),
        name="payroll-run-transfer-file",
    ),
    path("applications/", members_api.ApplicationListApi.as_view(), name="application-list"),
    path("clients/", invoicing_api.ClientListApi.as_view(), name="client-list"),
    path("jobs/", invoicing_api.JobListApi.as_view(), name="job-list"),
    path("jobs/<int:pk>/", invoicing_api.JobDetailApi.as_view(), name="job-detail"),
    path(
        "applications/<int:pk>/decision/",
        members_api.ApplicationDecisionApi.as_view(),
        name="application-decision",
    ),
    path("members/<int:pk>/", members_api.MemberDetailApi.as_view(), name="member-detail"),
    path("invoices/", invoice_api.InvoiceListApi.as_view(), name="invoice-list"),
    path("invoices/from-job/", invoice_api.InvoiceFromJobApi.as_view(), name="invoice-from-job"),
    path("invoices/<int:pk>/", invoice_api.InvoiceDetailApi.as_view(), name="invoice-detail"),
    path(
        "invoices/<int:pk>/submit/", invoice_api.InvoiceSubmitApi.as_view(), name="invoice-submit"
    ),
    path("invoices/<int:pk>/issue/", invoice_api.InvoiceIssueApi.as_view(), name="invoice-issue"),
    path(
        "invoices/<int:pk>/return/", invoice_api.InvoiceReturnApi.as_view(), name="invoice-return"
    ),
    path(
        "invoices/<int:pk>/cancel/", invoice_api.InvoiceCancelApi.as_view(), name="invoice-cancel"
    ),
    path(
        "invoices/<int:pk>/credit-notes/",
        invoice_api.InvoiceCreditNoteApi.as_view(),
        name="invoice-credit-note",
    ),
    path(
        "invoices/<int:pk>/resend/", invoice_api.InvoiceResendApi.as_view(), name="invoice-resend"
    ),
    path(
        "invoices/<int:pk>/collection/",
        dunning_api.InvoiceCollectionApi.as_view(),
        name="invoice-collection",
    ),
    path(
        "invoices/<int:pk>/documents/<str:fmt>/",
        invoice_api.InvoiceDownloadApi.as_view(),
        name="invoice-download",
    ),
]
