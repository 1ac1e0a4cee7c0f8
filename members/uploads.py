"""Checks on uploaded proofs (ASVS V5.2, R20): size, and the real type read from the content.

A file is accepted only when its first bytes are a PDF, PNG or JPEG signature (or XML, where the
caller accepts e-invoices) *and* its name says the same; PDFs carrying scripts, launch actions or
embedded files are refused unless the caller checks them itself (ZUGFeRD receipts).
"""

from __future__ import annotations

from pathlib import Path

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
XML_STARTS = (b"<?xml", b"<rsm:", b"<Invoi")
PDF_ACTIVE_CONTENT = (b"/JavaScript", b"/JS", b"/Launch", b"/EmbeddedFile", b"/RichMedia")


def sniff_upload(
    upload,
    *,
    max_bytes: int,
    extensions: dict[str, str] = EXTENSIONS,
    type_message: str | None = None,
    active_content: tuple[bytes, ...] = PDF_ACTIVE_CONTENT,
) -> tuple[bytes, str]:
    """Return (content, content type) or raise ApplicationError with a clear message.

    `extensions` names the accepted types; with ".xml" among them a document starting as XML is
    recognised too (e-invoices). `active_content` lists the PDF markers refused outright."""
    if upload is None:
        raise ApplicationError(_("Choose a file to upload."), code="file_missing")
    if upload.size is not None and upload.size > max_bytes:
        raise _too_large(max_bytes)
    content = b"".join(upload.chunks())
    if len(content) > max_bytes:
        raise _too_large(max_bytes)
    if not content:
        raise ApplicationError(_("The file is empty."), code="file_empty")
    detected = next(
        (kind for kind, magics in SIGNATURES.items() if content.startswith(magics)), None
    )
    if detected is None and ".xml" in extensions and content.lstrip()[:5] in XML_STARTS:
        detected = "application/xml"
    claimed = extensions.get(Path(upload.name or "").suffix.lower())
    if detected is None or detected not in extensions.values():
        raise ApplicationError(
            type_message or _("Only PDF, PNG and JPEG files are accepted."), code="file_type"
        )
    if claimed != detected:
        raise ApplicationError(
            _("The file's content does not match its name."), code="file_disguised"
        )
    if detected == "application/pdf" and any(marker in content for marker in active_content):
        raise ApplicationError(
            _("PDF files with scripts or embedded files are not accepted."), code="file_active"
        )
    return content, detected


def _too_large(max_bytes: int) -> ApplicationError:
    return ApplicationError(
        _("The file is larger than %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)},
        code="file_too_large",
    )
