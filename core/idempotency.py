"""`Idempotency-Key` on API POSTs that create money objects (invoices, credit notes, expense
claims): a client that lost the answer sends the same request again and gets the first answer
back instead of a second invoice.

- same key, same request → the stored status and body, with `Idempotent-Replayed: true`;
- same key, another request (method, path or body differ) → 409 `idempotency_key_reused`;
- same key while the first request still runs → the second waits on the unique index and
  then replays; a first request that failed stored nothing, so the retry runs afresh.

Keys are per person and cooperative and kept a day (`idempotency_records_purge`)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from functools import wraps

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from tenancy.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEEP = timedelta(days=1)


class IdempotencyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_reused"


class InvalidIdempotencyKey(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_idempotency_key"


def _fingerprint(request, path: str) -> str:
    digest = hashlib.sha256(f"{request.method} {path}\n".encode())
    values = []
    for name in sorted(request.data.keys()) if hasattr(request.data, "keys") else []:
        value = (
            request.data.getlist(name) if hasattr(request.data, "getlist") else request.data[name]
        )
        values.append((name, value))
    for name, value in values:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, UploadedFile):
                file_digest = hashlib.sha256()
                for chunk in item.chunks():
                    file_digest.update(chunk)
                item.seek(0)
                item = f"file:{item.name}:{file_digest.hexdigest()}"
            digest.update(json.dumps([name, item], sort_keys=True, default=str).encode())
    if not hasattr(request.data, "keys"):
        digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(post):
    """Decorate an APIView's `post`."""

    @wraps(post)
    def wrapped(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return post(self, request, *args, **kwargs)
        key = key.strip()
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise InvalidIdempotencyKey(_("An Idempotency-Key has 1 to 255 printable characters."))
        fingerprint = _fingerprint(request, request.path)
        records = IdempotencyRecord.objects.filter(user=request.user, key=key)

        def check(record: IdempotencyRecord) -> Response:
            if record.fingerprint != fingerprint:
                raise IdempotencyConflict(_("This Idempotency-Key was used for another request."))
            if not record.status_code:
                raise IdempotencyConflict(
                    _("The first request with this Idempotency-Key is still running."),
                    code="idempotency_key_in_use",
                )
            return _replay(record)

        existing = records.first()
        if existing is not None:
            return check(existing)
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    cooperative_id=request.tenancy.cooperative.pk,
                    user=request.user,
                    key=key,
                    fingerprint=fingerprint,
                )
        except IntegrityError:
            # A request with the same key committed meanwhile (we waited on its row).
            return check(records.get())
        try:
            with transaction.atomic():
                response = post(self, request, *args, **kwargs)
        except Exception:
            # Refused or failed: nothing was created, so a retry with the key may run afresh.
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        with transaction.atomic():
            if response.status_code < 500:
                body = json.loads(JSONRenderer().render(response.data) or b"null")
                IdempotencyRecord.objects.filter(pk=record.pk).update(
                    status_code=response.status_code, body=body
                )
        return response

    return wrapped


def idempotency_records_purge() -> int:
    """Remove keys older than a day (beat; per cooperative scope by the caller)."""
    deleted, _rows = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted


IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Send the same key again to get the first answer back instead of creating a second "
        "object; the same key with another request answers 409. Kept for a day."
    ),
)
