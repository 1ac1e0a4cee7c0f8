"""HTML → PDF with WeasyPrint, unable to fetch anything (R22).

Documents are rendered from our own templates, but they contain user-entered text; the URL
fetcher therefore refuses every URL except the project's own static files, so no file:// read,
no request to another host, however the text is crafted.
"""

from __future__ import annotations

import functools

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

STATIC_PREFIX = "smartcoop-static:"
RESOURCE_PREFIX = "smartcoop-resource:"


class FetchRefused(ValueError):
    pass


def _mime(path: str) -> str:
    return {"css": "text/css", "png": "image/png", "svg": "image/svg+xml"}.get(
        path.rsplit(".", 1)[-1], "application/octet-stream"
    )


def _safe_fetcher(resources: dict[str, tuple[bytes, str]] | None = None):
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the project's static files; every other URL is refused (and logged)."""

        fetched: list[str]
        resources: dict[str, tuple[bytes, str]]

        def fetch(self, url, headers=None):
            self.fetched.append(url)
            if url in self.resources:
                body, mimetype = self.resources[url]
                return URLFetcherResponse(url, body=body, headers={"Content-Type": mimetype})
            if url.startswith(STATIC_PREFIX):
                path = finders.find(url[len(STATIC_PREFIX) :].lstrip("/"))
                if path:
                    with open(path, "rb") as handle:
                        return URLFetcherResponse(
                            url, body=handle.read(), headers={"Content-Type": _mime(path)}
                        )
            raise FetchRefused(f"PDF rendering may not fetch {url[:80]!r}")

    fetcher = StaticOnlyFetcher()
    fetcher.fetched = []
    fetcher.resources = resources or {}
    return fetcher


@functools.cache
def _stylesheet(name: str):
    """Parsed once per process: parsing the CSS took a sixth of an invoice page's time (P7)."""
    from weasyprint import CSS

    path = finders.find(name)
    if path is None:
        raise FileNotFoundError(name)
    with open(path, encoding="utf-8") as handle:
        return CSS(string=handle.read(), base_url=STATIC_PREFIX, url_fetcher=_safe_fetcher())


def render_pdf(
    template: str,
    context: dict,
    *,
    resources: dict[str, tuple[bytes, str]] | None = None,
    variant: str | None = None,
    stylesheets: tuple[str, ...] = ("css/pdf.css",),
) -> bytes:
    """`resources` are files the caller already holds (a cooperative's logo), addressed as
    `smartcoop-resource:NAME`; `variant` e.g. "pdf/a-3b" for a ZUGFeRD carrier document;
    `stylesheets` are static files applied in order (templates link none themselves)."""
    from weasyprint import HTML

    html = render_to_string(template, {**context, "STATIC": STATIC_PREFIX})
    document = HTML(string=html, url_fetcher=_safe_fetcher(resources), base_url=STATIC_PREFIX)
    options = {"stylesheets": [_stylesheet(name) for name in stylesheets]}
    if variant:
        options["pdf_variant"] = variant
    return document.write_pdf(**options)
