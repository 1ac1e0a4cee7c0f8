"""Writes on applications, the member register, shares, employment data and documents.

Every service runs inside the caller's tenant scope (request or task), validates fully before it
writes, and raises ApplicationError with a translated message when a rule is broken, leaving
nothing half-saved. Notifications are queued in the same transaction (sent after commit).
"""

from __future__ import annotations

import calendar
import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from celery import current_app
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.references import rf_reference
from members import eligibility, notifications
from members.models import (
    EligibilityRules,
    EmploymentData,
    EmploymentDataChange,
    Member,
    MemberDocument,
    MemberStatusChange,
    SharePayment,
)
from members.uploads import sniff_upload
from tenancy.models import Cooperative, CooperativeSettings, Membership, Role, User
from tenancy.scope import tenant_scope

Status = Member.Status


def _validation_error(exc: ValidationError, message: str) -> ApplicationError:
    extra = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return ApplicationError(message, code="invalid", extra=extra)


# --- Rules and the membership declaration --------------------------------------------------


def eligibility_rules_get(*, cooperative: Cooperative) -> EligibilityRules:
    """The cooperative's rules (created with the defaults on first use)."""
    rules, created = EligibilityRules.objects.get_or_create(cooperative=cooperative)
    if created:
        rules.refresh_from_db()  # typed values (Decimal with two places), as on every later read
    return rules


def declaration_render(
    *,
    cooperative: Cooperative,
    rules: EligibilityRules,
    first_name: str,
    last_name: str,
    shares: int,
    language: str,
) -> tuple[str, str]:
    """The text of the membership declaration the applicant signs, and its SHA-256."""
    with translation.override(language):
        text = render_to_string(
            "members/declaration.txt",
            {
                "cooperative": cooperative,
                "first_name": first_name.strip(),
                "last_name": last_name.strip(),
                "shares": shares,
                "share_price": rules.share_price,
                "total": rules.share_price * shares,
            },
        ).strip()
    return text, hashlib.sha256(text.encode()).hexdigest()


def _facts(member: Member) -> eligibility.Facts:
    return eligibility.Facts(
        nationality=member.nationality,
        country=member.country,
        date_of_birth=member.date_of_birth,
        permit_expires_on=member.permit_expires_on,
        profession=member.profession,
        activity_description=member.activity_description,
        expected_monthly_volume=member.expected_monthly_volume,
    )


def member_check_eligibility(*, member: Member, today: date | None = None) -> Member:
    """Evaluate the cooperative's rules and store the findings on the application."""
    rules = eligibility_rules_get(cooperative=member.cooperative)
    findings = eligibility.evaluate(rules, _facts(member), today=today or timezone.localdate())
    member.eligibility = [f.as_dict() for f in findings]
    member.eligibility_passed = all(f.passed for f in findings)
    member.eligibility_checked_at = timezone.now()
    member.save(update_fields=["eligibility", "eligibility_passed", "eligibility_checked_at"])
    return member


# --- Application -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplicationData:
    first_name: str
    last_name: str
    date_of_birth: date
    street: str
    postal_code: str
    city: str
    country: str
    nationality: str
    phone: str
    languages: str
    permit_type: str
    permit_expires_on: date | None
    profession: str
    activity_description: str
    expected_monthly_volume: Decimal
    shares: int


def application_submit(
    *,
    cooperative: Cooperative,
    user: User,
    data: ApplicationData,
    declaration_sha256: str,
    accepted_statutes: bool,
    accepted_privacy: bool,
    ip: str | None,
    language: str,
) -> Member:
    """A person applies for membership and signs the declaration online."""
    if not (accepted_statutes and accepted_privacy):
        raise ApplicationError(
            _("Please accept the statutes and the privacy notice."), code="consent_missing"
        )
    rules = eligibility_rules_get(cooperative=cooperative)
    if data.shares < rules.minimum_shares:
        raise ApplicationError(
            _("Subscribe at least %(n)d share(s).") % {"n": rules.minimum_shares},
            code="too_few_shares",
        )
    text, digest = declaration_render(
        cooperative=cooperative,
        rules=rules,
        first_name=data.first_name,
        last_name=data.last_name,
        shares=data.shares,
        language=language,
    )
    if digest != declaration_sha256:
        # What was signed must be exactly what was shown (name, shares, price, terms).
        raise ApplicationError(
            _("The membership declaration has changed. Please read it again and sign."),
            code="declaration_changed",
        )
    if Member.objects.filter(user=user).exists():
        raise ApplicationError(
            _("You have already applied to this cooperative."), code="already_applied"
        )
    now = timezone.now()
    member = Member(
        cooperative=cooperative,
        user=user,
        status=Status.APPLICANT,
        share_price=rules.share_price,
        statutes_accepted_at=now,
        privacy_accepted_at=now,
        declaration_text=text,
        declaration_sha256=digest,
        declaration_signed_at=now,
        declaration_signed_ip=ip,
        applied_at=now,
        **{k: v for k, v in data.__dict__.items()},
    )
    try:
        member.full_clean(exclude=["user", "share_reference"])
    except ValidationError as exc:
        raise _validation_error(exc, _("The application contains invalid data.")) from exc
    with transaction.atomic():
        member.save()
        member.share_reference = rf_reference(f"ANT{member.pk}")
        member.save(update_fields=["share_reference"])
        EmploymentData.objects.create(cooperative=cooperative, member=member)
        Membership.objects.get_or_create(cooperative=cooperative, user=user, role=Role.MEMBER)
        member_check_eligibility(member=member)
        notifications.application_received(member)
    return member


# --- Lifecycle -------------------------------------------------------------------------------


def member_transition(
    *, member: Member, to: str, actor: User | None, reason: str = "", **changes
) -> Member:
    """Move a member to another status if the lifecycle allows it, with an audit record.

    The row is re-read under lock and only `status` and the given `changes` are written, so a
    concurrent change (another decision, a notice) is neither lost nor overwritten.
    """
    to = Status(to)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        if locked.status != member.status:
            raise ApplicationError(
                _("Someone else has just changed this member. Please reload."), code="stale"
            )
        if to not in Member.TRANSITIONS[Status(locked.status)]:
            raise ApplicationError(
                _("A member cannot go from “%(from)s” to “%(to)s”.")
                % {"from": Status(locked.status).label, "to": to.label},
                code="transition_not_allowed",
            )
        MemberStatusChange.objects.create(
            member=locked, from_status=locked.status, to_status=to, reason=reason, actor=actor
        )
        locked.status = to
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.save(update_fields=["status", *changes])
    for field in Member._meta.concrete_fields:
        setattr(member, field.attname, getattr(locked, field.attname))
    return member


def _lock(member: Member) -> Member:
    """Lock the member row for a read-decide-write step (payments, approval, notice)."""
    locked = Member.objects.select_for_update().get(pk=member.pk)
    for field in Member._meta.concrete_fields:
        setattr(member, field.attname, getattr(locked, field.attname))
    return member


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Please give a reason."), code="reason_required")
    return reason


def application_approve(*, member: Member, actor: User, reason: str = "") -> Member:
    with transaction.atomic():
        _lock(member)  # a share payment recorded at the same moment waits for us
        member_transition(
            member=member,
            to=Status.APPROVED,
            actor=actor,
            reason=reason,
            decided_at=timezone.now(),
        )
        notifications.application_approved(member)
        if _shares_paid(member) >= member.share_amount_due:
            # Paid before approval: admitted today, the day the last condition was met.
            _activate(member, actor=actor, on=timezone.localdate())
    return member


def application_reject(*, member: Member, actor: User, reason: str) -> Member:
    reason = _require_reason(reason)
    member_transition(
        member=member, to=Status.REJECTED, actor=actor, reason=reason, decided_at=timezone.now()
    )
    notifications.application_rejected(member, reason)
    return member


def application_request_info(*, member: Member, actor: User, message: str) -> Member:
    message = _require_reason(message)
    if member.status != Status.APPLICANT:
        raise ApplicationError(
            _("Only open applications can be asked for more information."), code="not_open"
        )
    member.info_requested = message
    member.save(update_fields=["info_requested"])
    MemberStatusChange.objects.create(
        member=member,
        from_status=member.status,
        to_status=member.status,
        reason=_("Information requested: %(message)s") % {"message": message},
        actor=actor,
    )
    notifications.information_requested(member, message)
    return member


def _shares_paid(member: Member) -> Decimal:
    total = SharePayment.objects.filter(member=member, cancelled_at__isnull=True).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def shares_outstanding(*, member: Member) -> Decimal:
    """What the member still owes for the shares subscribed (0 when paid in full)."""
    return max(member.share_amount_due - _shares_paid(member), Decimal("0.00"))


def shares_payable():
    """Members who may still pay for shares, by payment reference (bank matching)."""
    return Member.objects.filter(
        status__in=[Status.APPLICANT, Status.APPROVED, Status.ACTIVE, Status.SUSPENDED]
    ).exclude(share_reference="")


def _activate(member: Member, *, actor: User | None, on: date) -> Member:
    # One member number at a time per cooperative: lock the cooperative row.
    Cooperative.objects.select_for_update().filter(pk=member.cooperative_id).first()
    last = Member.objects.aggregate(last=Max("member_number"))["last"] or 0
    member_transition(
        member=member,
        to=Status.ACTIVE,
        actor=actor,
        reason=_("Shares paid in full."),
        member_number=last + 1,
        joined_on=on,
    )
    notifications.member_activated(member)
    return member


def share_payment_record(
    *, member: Member, amount: Decimal, paid_on: date, actor: User | None, reference: str = ""
) -> SharePayment:
    """Record money received for shares; an approved member becomes active once paid in full."""
    if amount <= 0:
        raise ApplicationError(_("The amount must be positive."), code="invalid_amount")
    if member.status not in (Status.APPLICANT, Status.APPROVED, Status.ACTIVE, Status.SUSPENDED):
        raise ApplicationError(
            _("No share payment can be recorded for this member."), code="not_payable"
        )
    if paid_on > timezone.localdate():
        raise ApplicationError(_("The payment date lies in the future."), code="future_date")
    with transaction.atomic():
        # Lock first: two partial payments (or a payment and the approval) at the same moment
        # must see each other's amounts, or a fully paid member would stay "approved".
        _lock(member)
        payment = SharePayment.objects.create(
            member=member, amount=amount, paid_on=paid_on, reference=reference, recorded_by=actor
        )
        # The ledger (a later layer) books the payment; by task name, after commit.
        transaction.on_commit(
            lambda: current_app.send_task(
                "ledger.tasks.share_payments_post", args=[member.cooperative_id]
            ),
            robust=True,
        )
        if member.status == Status.APPROVED and _shares_paid(member) >= member.share_amount_due:
            # Membership begins with admission (§ 15 GenG): never before the approval.
            admitted = max(paid_on, timezone.localtime(member.decided_at).date())
            _activate(member, actor=actor, on=admitted)
    return payment


def share_payment_cancel(*, payment: SharePayment, actor: User | None, reason: str) -> SharePayment:
    """Cancel a share payment recorded by mistake (e.g. a wrong bank match). A member already
    admitted stays admitted: staff decide that separately (§ 15 GenG), the payment is just no
    longer counted."""
    reason = _require_reason(reason)
    with transaction.atomic():
        _lock(payment.member)
        locked = SharePayment.objects.select_for_update().get(pk=payment.pk)
        if locked.cancelled_at is not None:
            raise ApplicationError(_("This share payment is already cancelled."), code="cancelled")
        locked.cancelled_at = timezone.now()
        locked.cancel_reason = reason[:300]
        locked.save(update_fields=["cancelled_at", "cancel_reason"])
    return locked


def member_suspend(*, member: Member, actor: User, reason: str) -> Member:
    reason = _require_reason(reason)
    member_transition(member=member, to=Status.SUSPENDED, actor=actor, reason=reason)
    notifications.member_suspended(member, reason)
    return member


def member_reinstate(*, member: Member, actor: User, reason: str = "") -> Member:
    member_transition(member=member, to=Status.ACTIVE, actor=actor, reason=reason)
    notifications.member_reinstated(member)
    return member


def leaving_dates(*, given_on: date, financial_year_start_month: int) -> tuple[date, date]:
    """§ 65 GenG: notice given at least three months before the end of a financial year takes
    effect at that year end, otherwise at the next one. § 73 (2) GenG: the settlement balance is
    paid within six months after leaving; we record that latest date."""
    end_month = 12 if financial_year_start_month == 1 else financial_year_start_month - 1
    year_end = _month_end(given_on.year, end_month)
    if year_end < given_on:
        year_end = _month_end(given_on.year + 1, end_month)
    deadline = year_end - relativedelta(months=3)
    deadline = _month_end(deadline.year, deadline.month)  # 30 June ⇒ notice by 31 March
    if given_on > deadline:
        year_end = _month_end(year_end.year + 1, end_month)
    repayment = year_end + relativedelta(months=6)
    return year_end, _month_end(repayment.year, repayment.month)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def member_give_notice(
    *, member: Member, actor: User, reason: str = "", given_on: date | None = None
) -> Member:
    """A member gives notice; they stay active until the end of the financial year."""
    if member.status not in (Status.ACTIVE, Status.SUSPENDED):
        raise ApplicationError(
            _("Only members in the register can give notice."), code="not_member"
        )
    if member.notice_given_on:
        raise ApplicationError(_("Notice has already been given."), code="notice_given")
    given_on = given_on or timezone.localdate()
    with transaction.atomic():
        _lock(member)
        if member.notice_given_on:
            raise ApplicationError(_("Notice has already been given."), code="notice_given")
        return _record_notice(member=member, actor=actor, reason=reason, given_on=given_on)


def _record_notice(*, member: Member, actor: User, reason: str, given_on: date) -> Member:
    settings_row = CooperativeSettings.objects.filter(cooperative=member.cooperative).first()
    start_month = settings_row.financial_year_start_month if settings_row else 1
    left_on, repayment = leaving_dates(given_on=given_on, financial_year_start_month=start_month)
    member.notice_given_on = given_on
    member.left_on = left_on
    member.share_repayment_due_on = repayment
    with transaction.atomic():
        member.save(update_fields=["notice_given_on", "left_on", "share_repayment_due_on"])
        MemberStatusChange.objects.create(
            member=member,
            from_status=member.status,
            to_status=member.status,
            reason=_("Notice given, leaving on %(date)s. %(reason)s")
            % {"date": left_on.isoformat(), "reason": reason},
            actor=actor,
        )
        notifications.notice_confirmed(member)
    return member


def members_close_departures(*, on: date | None = None) -> int:
    """Members whose leaving date has passed leave the register (idempotent)."""
    on = on or timezone.localdate()
    closed = 0
    for member in Member.objects.filter(
        status__in=[Status.ACTIVE, Status.SUSPENDED], left_on__lt=on
    ).select_related("cooperative"):
        member_transition(
            member=member, to=Status.LEFT, actor=None, reason=_("End of the notice period.")
        )
        notifications.member_left(member)
        closed += 1
    return closed


CONTACT_FIELDS = (
    "street",
    "postal_code",
    "city",
    "country",
    "phone",
    "languages",
    "permit_type",
    "permit_expires_on",
)


def member_update(*, member: Member, values: dict) -> Member:
    """Staff correct contact and permit data (e.g. a renewed permit); the rest is evidence."""
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise ApplicationError(_("These fields cannot be changed."), code="not_editable")
    for field, value in values.items():
        setattr(member, field, value)
    try:
        member.full_clean(exclude=["user"])
    except ValidationError as exc:
        raise _validation_error(exc, _("The member data contains invalid values.")) from exc
    if values:
        member.save(update_fields=list(values))
        if "permit_expires_on" in values:
            member_check_eligibility(member=member)
    return member


# --- Employment data -------------------------------------------------------------------------


def _clean_employment(employment: EmploymentData, values: dict) -> dict:
    cleaned = {}
    for field, value in values.items():
        if field not in EmploymentData.EDITABLE:
            raise ApplicationError(_("This field cannot be changed."), code="not_editable")
        if field == "social_insurance_number" and value:
            value = value.replace(" ", "").upper()
        if field == "iban" and value:
            value = value.replace(" ", "").upper()
        cleaned[field] = value
    candidate = EmploymentData(
        **{
            f.name: getattr(employment, f.name)
            for f in EmploymentData._meta.concrete_fields
            if f.name not in ("id",)
        }
    )
    for field, value in cleaned.items():
        setattr(candidate, field, value)
    try:
        candidate.full_clean(exclude=["member", "cooperative"], validate_unique=False)
    except ValidationError as exc:
        raise _validation_error(exc, _("The employment data contains invalid values.")) from exc
    return cleaned


def employment_data_update(
    *, member: Member, values: dict, actor: User
) -> EmploymentData | EmploymentDataChange:
    """Before activation a member's changes apply at once; afterwards staff confirm them
    (payroll relies on these values) — unless staff make the change themselves."""
    employment = EmploymentData.objects.get(member=member)
    cleaned = _clean_employment(employment, values)
    changed = {k: v for k, v in cleaned.items() if getattr(employment, k) != v}
    if not changed:
        return employment
    by_staff = actor.pk != member.user_id
    if member.is_in_register and not by_staff:
        change = EmploymentDataChange.objects.create(
            member=member, changes={k: _json(v) for k, v in changed.items()}
        )
        notifications.employment_change_requested(member)
        return change
    for field, value in changed.items():
        setattr(employment, field, value)
    employment.save()
    return employment


def _json(value):
    return str(value) if isinstance(value, Decimal | date) else value


def employment_change_decide(
    *, change: EmploymentDataChange, actor: User, confirm: bool
) -> EmploymentDataChange:
    if change.status != EmploymentDataChange.Status.PENDING:
        raise ApplicationError(_("This change has already been decided."), code="decided")
    with transaction.atomic():
        if confirm:
            employment = EmploymentData.objects.get(member=change.member)
            cleaned = _clean_employment(employment, change.changes)
            for field, value in cleaned.items():
                setattr(employment, field, value)
            employment.save()
        change.status = (
            EmploymentDataChange.Status.CONFIRMED
            if confirm
            else EmploymentDataChange.Status.REJECTED
        )
        change.decided_at = timezone.now()
        change.decided_by = actor
        change.save(update_fields=["status", "decided_at", "decided_by"])
        notifications.employment_change_decided(change.member, confirm)
    return change


# --- Documents -------------------------------------------------------------------------------


def _document_path(storage_name: str) -> Path:
    return Path(settings.SMARTCOOP_PRIVATE_ROOT) / "documents" / storage_name


def document_upload(*, member: Member, kind: str, upload, actor: User) -> MemberDocument:
    """Store a proof privately after checking its size and real type (by content, not name)."""
    if member.status in (Status.REJECTED, Status.LEFT):
        raise ApplicationError(
            _("Documents can no longer be added to this record."), code="record_closed"
        )
    if kind not in MemberDocument.Kind.values:
        raise ApplicationError(_("Choose the kind of document."), code="invalid_kind")
    content, content_type = sniff_upload(upload, max_bytes=settings.SMARTCOOP_UPLOAD_MAX_BYTES)
    storage_name = f"{member.cooperative_id}-{uuid.uuid4().hex}"
    path = _document_path(storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        with transaction.atomic():
            document = MemberDocument.objects.create(
                member=member,
                kind=kind,
                storage_name=storage_name,
                original_name=Path(upload.name).name[:200],
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=actor,
            )
    except Exception:
        path.unlink(missing_ok=True)  # nothing half-saved: no file without its row
        raise
    return document


def document_open(*, document: MemberDocument):
    return _document_path(document.storage_name).open("rb")


def document_delete(*, document: MemberDocument) -> None:
    path = _document_path(document.storage_name)
    document.delete()
    transaction.on_commit(lambda: path.unlink(missing_ok=True))


# --- Periodic work ---------------------------------------------------------------------------


def permits_warn_expiring(*, today: date | None = None) -> int:
    """Warn member and staff once per permit expiry date, `permit_warning_days` before it."""
    today = today or timezone.localdate()
    rules = eligibility_rules_get(cooperative=Cooperative.objects.get(pk=_scope_cooperative_id()))
    horizon = today + timedelta(days=rules.permit_warning_days)
    due = Member.objects.filter(
        status__in=[Status.APPLICANT, Status.APPROVED, Status.ACTIVE, Status.SUSPENDED],
        permit_expires_on__isnull=False,
        permit_expires_on__lte=horizon,
    ).select_related("user", "cooperative")
    warned = 0
    for member in due:
        if member.permit_warning_sent_for == member.permit_expires_on:
            continue
        # Claim first: a second run (or a duplicate task) finds nothing left to send.
        claimed = (
            Member.objects.filter(pk=member.pk)
            .exclude(permit_warning_sent_for=member.permit_expires_on)
            .update(permit_warning_sent_for=member.permit_expires_on)
        )
        if claimed:
            notifications.permit_expiring(member)
            warned += 1
    return warned


def _scope_cooperative_id() -> int:
    from tenancy.scope import current_cooperative_id

    cooperative_id = current_cooperative_id()
    if cooperative_id is None:
        raise ApplicationError("needs a tenant scope", code="no_scope")
    return cooperative_id


ANONYMISED = "—"


def applications_anonymise_rejected(*, now=None) -> int:
    """Remove personal data of applications rejected longer ago than the retention period.

    Kept: the fact of the application, its dates, the decision and the declaration's hash
    (evidence that a declaration was signed), as retention law requires; removed: name,
    birth date, address, contact, permit, activity, declaration text, documents, employment data.
    """
    now = now or timezone.now()
    rules = eligibility_rules_get(cooperative=Cooperative.objects.get(pk=_scope_cooperative_id()))
    cutoff = now - timedelta(days=rules.rejected_retention_days)
    members = list(
        Member.objects.filter(
            status=Status.REJECTED, decided_at__lt=cutoff, anonymised_at__isnull=True
        )
    )
    for member in members:
        with transaction.atomic():
            for document in MemberDocument.objects.filter(member=member):
                document_delete(document=document)
            EmploymentData.objects.filter(member=member).delete()
            EmploymentDataChange.objects.filter(member=member).delete()
            MemberStatusChange.objects.filter(member=member).update(reason="")
            Membership.objects.filter(user_id=member.user_id, role=Role.MEMBER).delete()
            Member.objects.filter(pk=member.pk).update(
                first_name=ANONYMISED,
                last_name=ANONYMISED,
                date_of_birth=None,
                street="",
                postal_code="",
                city="",
                phone="",
                languages="",
                permit_type="",
                permit_expires_on=None,
                profession="",
                activity_description="",
                declaration_text="",
                declaration_signed_ip=None,
                info_requested="",
                eligibility=[],
                anonymised_at=now,
            )
            # The audit trail holds earlier copies of the same personal data: erase them too
            # (Art. 17 GDPR); the status changes above keep the decision and its dates.
            Member.pgh_event_model.objects.filter(pgh_obj_id=member.pk).delete()
            EmploymentData.pgh_event_model.objects.filter(member_id=member.pk).delete()
    return len(members)


# --- Demo and tests --------------------------------------------------------------------------


def member_create(
    *,
    cooperative: Cooperative,
    user: User,
    first_name: str,
    last_name: str,
    status: str = Status.APPLICANT,
    joined_on: date | None = None,
    **details,
) -> Member:
    """Enter a person directly (demo data, migrations of existing registers)."""
    with tenant_scope(cooperative), transaction.atomic():
        rules = eligibility_rules_get(cooperative=cooperative)
        member = Member(
            cooperative=cooperative,
            user=user,
            first_name=first_name,
            last_name=last_name,
            status=status,
            share_price=rules.share_price,
            shares=rules.minimum_shares,
            joined_on=joined_on,
            **details,
        )
        if status in (Status.ACTIVE, Status.SUSPENDED, Status.LEFT):
            Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
            last = Member.objects.aggregate(last=Max("member_number"))["last"] or 0
            member.member_number = last + 1
        member.save()
        member.share_reference = rf_reference(f"ANT{member.pk}")
        member.save(update_fields=["share_reference"])
        EmploymentData.objects.create(cooperative=cooperative, member=member)
        Membership.objects.get_or_create(cooperative=cooperative, user=user, role=Role.MEMBER)
        member_check_eligibility(member=member)
    return member
