"""Webhooks: register endpoints, emit events into the outbox of deliveries (inside the caller's
transaction), and send them after commit with an HMAC signature, retrying with back-off.

Signature: `X-SmartCoop-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed
with the endpoint's secret>`; `verify()` is what a receiver does. The event id
(`X-SmartCoop-Delivery`) is derived from what happened, so an event emitted twice reaches each
endpoint once."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.queue import enqueue_on_commit
from members.models import Member
from tenancy.models import Cooperative, User
from tenancy.scope import current_cooperative_id, tenant_scope
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

NAMESPACE = uuid.UUID("6f1c2b9e-3d4a-4e5f-9a1b-2c3d4e5f6a7b")
# Seconds to wait after the n-th failed attempt.
BACKOFF = (60, 300, 1800, 7200, 21600, 43200, 86400)
# A claimed delivery is sent again if its worker never reports back; one POST takes at most
# the DNS lookup plus TIMEOUT per read.
LEASE = timedelta(minutes=5)
TIMEOUT = 10
TOLERANCE = 300
MAX_ENDPOINTS_PER_OWNER = 10


# --- Signing ---------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """What a receiver checks: the signature matches and is at most five minutes old."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > TOLERANCE:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Endpoints -------------------------------------------------------------------------------


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.SMARTCOOP_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        raise ApplicationError(_("A webhook URL must start with https://."), code="webhook_url")
    if parts.username or parts.password:
        raise ApplicationError(
            _("A webhook URL must not contain a user name or password."), code="webhook_url"
        )


def _public_address(host: str, port: int) -> str:
    """The address to connect to: resolved once, and refused when it is this machine or a
    private network (SSRF), unless the installation allows that (development and tests). The
    connection then goes to exactly this address, so a second DNS answer cannot differ."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ApplicationError(_("The webhook's host name does not resolve."), code="dns") from exc
    addresses = [info[4][0] for info in infos]
    if not settings.SMARTCOOP_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if not ipaddress.ip_address(address).is_global:
                raise ApplicationError(
                    _("The webhook's host is not on the public internet."),
                    code="webhook_private",
                )
    return addresses[0]


def _check_events(events: list[str]) -> list[str]:
    chosen = sorted(set(events))
    if not chosen or not set(chosen) <= set(Event.values):
        raise ApplicationError(_("Choose at least one event."), code="webhook_events")
    return chosen


def endpoint_create(
    *,
    cooperative: Cooperative,
    member: Member | None,
    url: str,
    events: list[str],
    description: str,
    actor: User,
) -> tuple[WebhookEndpoint, str]:
    """A member's endpoint (their own events) or, with `member=None`, the cooperative's.
    Returns the endpoint and its secret, which is shown once."""
    events = _check_events(events)
    _check_url(url)
    parts = urlsplit(url)
    if not settings.SMARTCOOP_WEBHOOK_ALLOW_PRIVATE:  # checked again before every send
        _public_address(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    if WebhookEndpoint.objects.filter(member=member).count() >= MAX_ENDPOINTS_PER_OWNER:
        raise ApplicationError(
            _("At most %(n)d webhooks; delete one first.") % {"n": MAX_ENDPOINTS_PER_OWNER},
            code="webhook_limit",
        )
    secret = "whsec_" + secrets.token_hex(24)
    endpoint = WebhookEndpoint.objects.create(
        cooperative=cooperative,
        member=member,
        url=url,
        events=events,
        description=description.strip()[:200],
        secret=secret,
        created_by=actor,
    )
    return endpoint, secret


def endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# --- Emitting --------------------------------------------------------------------------------


def _event_id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{current_cooperative_id()}:{key}")


def _body(event: str, event_id: uuid.UUID, data: dict, slug: str) -> dict:
    return json.loads(
        json.dumps(
            {
                "id": str(event_id),
                "event": event,
                "created_at": timezone.now().isoformat(),
                "cooperative": slug,
                "data": data,
            },
            cls=DjangoJSONEncoder,
        )
    )


def listening(event: str) -> bool:
    """Whether any active endpoint of the cooperative wants `event` (skip the work if not)."""
    return any(
        event in events
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list(
            "events", flat=True
        )
    )


def webhook_emit(
    *, event: str, key: str, data: dict, member: Member | None = None, audience: str = "all"
) -> int:
    """Queue `event` for the cooperative's endpoints (audience "all" or "cooperative") and the
    member's own (audience "all" or "member"). Call inside the transaction that made the event
    happen: a rollback sends nothing. Returns how many deliveries were queued."""
    return webhook_emit_many(event=event, items=[(member, key, data)], audience=audience)


def webhook_emit_many(
    *, event: str, items: list[tuple[Member | None, str, dict]], audience: str = "all"
) -> int:
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(is_active=True).only("pk", "member_id", "events")
        if event in e.events
    ]
    if not endpoints:
        return 0
    cooperative_wide = [e for e in endpoints if e.member_id is None]
    by_member: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in endpoints:
        if endpoint.member_id is not None:
            by_member.setdefault(endpoint.member_id, []).append(endpoint)
    slug = Cooperative.objects.values_list("slug", flat=True).get(pk=current_cooperative_id())
    deliveries = []
    for member, key, data in items:
        targets = []
        if audience in ("all", "cooperative"):
            targets += cooperative_wide
        if audience in ("all", "member") and member is not None:
            targets += by_member.get(member.pk, [])
        if not targets:
            continue
        event_id = _event_id(f"{event}:{key}")
        payload = _body(event, event_id, data, slug)
        deliveries += [
            WebhookDelivery(
                cooperative_id=endpoint.cooperative_id,
                endpoint_id=endpoint.pk,
                event=event,
                event_id=event_id,
                payload=payload,
            )
            for endpoint in targets
        ]
    if not deliveries:
        return 0
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    from webhooks import tasks

    cooperative_id = current_cooperative_id()
    # A broker outage must not fail the action; the sweeper sends what waits.
    enqueue_on_commit(tasks.deliveries_send, cooperative_id)
    return len(deliveries)


# --- Sending ---------------------------------------------------------------------------------


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to an address resolved beforehand; the Host header keeps the name."""

    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address resolved beforehand; TLS still checks the certificate of the name."""

    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST once, redirects not followed (a 3xx is the answer)."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    parts = urlsplit(endpoint.url)
    https = parts.scheme == "https"
    try:
        _check_url(endpoint.url)
        address = _public_address(parts.hostname, parts.port or (443 if https else 80))
    except ApplicationError as exc:
        return None, exc.message
    kind = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
    connection = kind(parts.hostname, address, port=parts.port, timeout=TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "SmartCoop-Webhooks/1",
                "X-SmartCoop-Event": delivery.event,
                "X-SmartCoop-Delivery": str(delivery.event_id),
                "X-SmartCoop-Signature": sign(endpoint.secret, int(time.time()), body),
            },
        )
        response = connection.getresponse()
        response.read(64 * 1024)
        code = response.status
        return code, "" if 200 <= code < 300 else f"HTTP {code}"
    except (OSError, http.client.HTTPException) as exc:
        return None, str(exc)[:300] or type(exc).__name__
    finally:
        connection.close()


def _claim(cooperative: Cooperative) -> WebhookDelivery | None:
    """The next due delivery, with a lease and the attempt counted, committed at once."""
    now = timezone.now()
    with tenant_scope(cooperative):
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
            )
            .select_related("endpoint")
            .order_by("next_attempt_at")
            .first()
        )
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts, next_attempt_at=delivery.next_attempt_at
        )
        return delivery


def deliveries_send(*, cooperative: Cooperative, limit: int = 500) -> int:
    """Send what is due, one claimed delivery at a time (`SKIP LOCKED`, a lease longer than one
    POST can take), so two workers never send the same delivery at once. The result is written
    only if the claim is still ours (same attempt, still pending): a delivery deleted or sent
    again meanwhile is left alone. A worker that dies after claiming leaves the lease to run
    out; the next run sends again (receivers deduplicate on the delivery id). Returns how many
    were delivered."""
    delivered = 0
    for _attempt in range(limit):
        delivery = _claim(cooperative)
        if delivery is None:
            break
        code, error = _post(delivery.endpoint, delivery)
        now = timezone.now()
        if code is not None and 200 <= code < 300:
            outcome = {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": now}
        elif delivery.attempts >= WebhookDelivery.MAX_ATTEMPTS:
            outcome = {"status": WebhookDelivery.Status.FAILED}
        else:
            wait = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
            outcome = {"next_attempt_at": now + timedelta(seconds=wait)}
        with tenant_scope(cooperative):
            written = WebhookDelivery.objects.filter(
                pk=delivery.pk,
                attempts=delivery.attempts,
                status=WebhookDelivery.Status.PENDING,
            ).update(last_status_code=code, last_error=error, **outcome)
        delivered += bool(written) and "delivered_at" in outcome
    return delivered


def delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a given-up delivery again (owner's or staff's button)."""
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ApplicationError(
            _("Only a delivery that was given up can be sent again."), code="not_failed"
        )
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    from webhooks import tasks

    enqueue_on_commit(tasks.deliveries_send, delivery.cooperative_id)
    return delivery
