"""Writes on clients and jobs."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError

from core.exceptions import ApplicationError
from invoicing import notifications
from invoicing.models import Client, Job
from members.eligibility import FREE_MOVEMENT
from members.models import Member
from tenancy.models import User

EU = FREE_MOVEMENT - {"IS", "LI", "NO", "CH"}
CONFIRMATION_DAYS = 30
CLIENT_FIELDS = (
    "kind",
    "name",
    "contact_person",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "leitweg_id",
    "invoice_email",
    "language",
    "payment_terms_days",
)


def _invalid(exc: ValidationError, message: str) -> ApplicationError:
    extra = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return ApplicationError(message, code="invalid", extra=extra)


def _check_vat_id(client: Client) -> None:
    """Syntax and check digit (python-stdnum); the date and the result are stored as evidence."""
    client.vat_id = client.vat_id.replace(" ", "").upper()
    if not client.vat_id:
        client.vat_id_checked_at, client.vat_id_check_result = None, ""
        return
    try:
        vat.validate(client.vat_id)
    except StdnumError as exc:
        raise ApplicationError(
            _("This is not a valid EU VAT identification number."),
            code="invalid_vat_id",
            extra={"vat_id": [_("This is not a valid EU VAT identification number.")]},
        ) from exc
    client.vat_id_checked_at = timezone.now()
    client.vat_id_check_result = "valid: format and check digit (python-stdnum)"


def client_save(*, client: Client | None, values: dict, member: Member | None) -> Client:
    """Create or change a client. A member's new client is linked to them."""
    unknown = set(values) - set(CLIENT_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed."), code="not_editable")
    client = client or Client(created_by=member)
    for field, value in values.items():
        setattr(client, field, value.strip() if isinstance(value, str) else value)
    client.country = client.country.upper()
    if client.kind == Client.Kind.PUBLIC and not client.leitweg_id:
        raise ApplicationError(
            _("Public clients need a Leitweg-ID (it routes the e-invoice)."),
            code="leitweg_required",
            extra={
                "leitweg_id": [_("Public clients need a Leitweg-ID (it routes the e-invoice).")]
            },
        )
    if client.kind != Client.Kind.CONSUMER and not (
        client.street and client.postal_code and client.city
    ):
        message = _("Business and public clients need a full address (street, postal code, city).")
        raise ApplicationError(
            message,
            code="address_required",
            extra={
                f: [message] for f in ("street", "postal_code", "city") if not getattr(client, f)
            },
        )
    if (
        client.kind == Client.Kind.BUSINESS
        and client.country in EU
        and client.country != "DE"
        and not client.vat_id
    ):
        raise ApplicationError(
            _("Business clients in other EU countries need a VAT ID (reverse charge)."),
            code="vat_id_required",
            extra={
                "vat_id": [
                    _("Business clients in other EU countries need a VAT ID (reverse charge).")
                ]
            },
        )
    _check_vat_id(client)
    try:
        client.full_clean(exclude=["created_by"])
    except ValidationError as exc:
        raise _invalid(exc, _("The client contains invalid data.")) from exc
    client.save()
    return client


JOB_FIELDS = (
    "client",
    "title",
    "deliverable",
    "period_start",
    "period_end",
    "place",
    "pricing",
    "hours",
    "hourly_rate",
    "fixed_price",
    "vat_category",
    "vat_reason",
    "uses_client_equipment",
    "in_client_rota",
    "follows_client_instructions",
)


def _check_vat_category(job: Job) -> None:
    client, category = job.client, job.vat_category
    problems = {
        Job.VatCategory.REVERSE_CHARGE: not (
            client.kind == Client.Kind.BUSINESS
            and client.country in EU
            and client.country != "DE"
            and client.vat_id
        ),
        Job.VatCategory.NOT_TAXABLE: not (
            client.kind != Client.Kind.CONSUMER and client.country not in EU
        ),
        Job.VatCategory.REDUCED: not job.vat_reason,
        Job.VatCategory.EXEMPT: not job.vat_reason,
    }
    messages = {
        Job.VatCategory.REVERSE_CHARGE: _(
            "Reverse charge needs a business client in another EU country with a VAT ID."
        ),
        Job.VatCategory.NOT_TAXABLE: _("“Not taxable” is for business clients outside the EU."),
        Job.VatCategory.REDUCED: _(
            "Give the reason for the reduced rate (e.g. § 12 (2) no. 7 UStG)."
        ),
        Job.VatCategory.EXEMPT: _("Give the legal basis of the exemption (e.g. § 4 no. 21 UStG)."),
    }
    if problems.get(category):
        raise ApplicationError(
            messages[category], code="vat_category", extra={"vat_category": [messages[category]]}
        )


def job_save(*, job: Job | None, member: Member, values: dict) -> Job:
    """Create or change a job while it is a draft (or declined, to send it again)."""
    unknown = set(values) - set(JOB_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed."), code="not_editable")
    job = job or Job(member=member)
    if job.pk and job.status not in (Job.Status.DRAFT, Job.Status.DECLINED):
        raise ApplicationError(
            _("Only draft jobs can be changed; the client has already seen this one."),
            code="not_draft",
        )
    for field, value in values.items():
        setattr(job, field, value)
    if job.pricing == Job.Pricing.FIXED:
        job.hours = job.hourly_rate = None
        if not job.fixed_price or job.fixed_price <= 0:
            message = _("A fixed-price job needs its price.")
            raise ApplicationError(message, code="price", extra={"fixed_price": [message]})
    else:
        job.fixed_price = None
        if not job.hourly_rate or job.hourly_rate <= 0:
            message = _("Hourly work needs its hourly rate.")
            raise ApplicationError(message, code="price", extra={"hourly_rate": [message]})
    job.status = Job.Status.DRAFT
    _check_vat_category(job)
    try:
        job.full_clean(exclude=["member"])
    except ValidationError as exc:
        raise _invalid(exc, _("The job contains invalid data.")) from exc
    job.save()
    return job


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def confirmation_url(job: Job, token: str) -> str:
    path = reverse("job_confirm", args=[job.cooperative.slug, job.pk, token])
    return f"{settings.SMARTCOOP_BASE_URL.rstrip('/')}{path}"


def job_send_for_confirmation(*, job: Job, actor: User) -> str:
    """E-mail the client a personal link to accept or decline; returns the link."""
    if job.status not in (Job.Status.DRAFT, Job.Status.DECLINED, Job.Status.SENT):
        raise ApplicationError(_("This job cannot be sent to the client."), code="not_sendable")
    token = secrets.token_urlsafe(32)
    job.confirmation_token_hash = _token_hash(token)
    job.confirmation_expires_at = timezone.now() + timedelta(days=CONFIRMATION_DAYS)
    job.status = Job.Status.SENT
    job.client_answered_at = job.client_answer_ip = None
    job.client_decline_reason = job.client_answer_name = ""
    job.save()
    link = confirmation_url(job, token)
    notifications.job_confirmation_request(job, link)
    return link


def job_for_token(*, job_id: int, token: str) -> Job | None:
    """The job the link is for, if the token is right and not expired (constant-time compare)."""
    job = Job.objects.select_related("client", "member", "cooperative").filter(pk=job_id).first()
    if job is None or not job.confirmation_token_hash:
        return None
    if not secrets.compare_digest(job.confirmation_token_hash, _token_hash(token)):
        return None
    if job.confirmation_expires_at and job.confirmation_expires_at < timezone.now():
        return None
    return job


def job_answer(*, job: Job, accept: bool, name: str, reason: str, ip: str | None) -> Job:
    """The client accepts or declines; time, IP and name are kept as evidence."""
    if job.status != Job.Status.SENT:
        raise ApplicationError(_("This job has already been answered."), code="answered")
    name = name.strip()
    if not name:
        raise ApplicationError(_("Please enter your name."), code="name_required")
    with transaction.atomic():
        job.status = Job.Status.CONFIRMED if accept else Job.Status.DECLINED
        job.client_answered_at = timezone.now()
        job.client_answer_ip = ip
        job.client_answer_name = name[:200]
        job.client_decline_reason = "" if accept else reason.strip()
        job.confirmation_token_hash = ""  # one answer per link
        job.save()
        notifications.job_answered(job)
    return job


def job_approve(*, job: Job, actor: User) -> Job:
    if job.status != Job.Status.CONFIRMED:
        raise ApplicationError(
            _("Only jobs the client has confirmed can be approved."), code="not_confirmed"
        )
    job.status = Job.Status.APPROVED
    job.approved_by, job.approved_at = actor, timezone.now()
    job.save(update_fields=["status", "approved_by", "approved_at"])
    return job


def job_cancel(*, job: Job, actor: User) -> Job:
    if job.status in (Job.Status.CANCELLED,):
        raise ApplicationError(_("This job is already cancelled."), code="cancelled")
    job.status = Job.Status.CANCELLED
    job.confirmation_token_hash = ""
    job.save(update_fields=["status", "confirmation_token_hash"])
    return job
