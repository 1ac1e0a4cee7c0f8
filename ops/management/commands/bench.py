"""`python manage.py bench SCENARIO [--scale N]`: one line per run,
`scenario=… scale=… floor_s=… app_s=… ratio=… rss_mb=… queries=…`, floor and application path
measured in the same run. Later features add their scenarios to SCENARIOS."""

from __future__ import annotations

import resource

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

SCENARIOS = {
    "rls": ("tenancy.bench.rls", 100_000),
    "invoice_issue": ("invoicing.bench.invoice_issue", 10_000),
    "invoice_pdf": ("invoicing.bench.invoice_pdf", 200),
    "bank_import": ("banking.bench.bank_import", 100_000),
    "dunning": ("dunning.bench.dunning", 1_000_000),
    "payroll": ("payroll.bench.payroll", 100_000),
    "export": ("reports.bench.export", 1_000_000),
    "api": ("invoicing.bench_api.api", 10_000),
}


def _seconds(value: float) -> str:
    # Per-request times (bench api) are fractions of a millisecond.
    return f"{value:.3f}" if value >= 0.01 else f"{value:.6f}"


class Command(BaseCommand):
    help = "Measure a scenario against its floor in the same run and print one result line."

    def add_arguments(self, parser):
        parser.add_argument("scenario", choices=sorted(SCENARIOS))
        parser.add_argument("--scale", type=int, default=None, help="rows in the data set")
        # CI's smoke run: generous bounds that catch a regression, not a timing contest.
        parser.add_argument("--min-ratio", type=float, help="fail below this ratio")
        parser.add_argument("--max-ratio", type=float, help="fail above this ratio")

    def handle(
        self,
        *args,
        scenario: str,
        scale: int | None,
        min_ratio: float | None = None,
        max_ratio: float | None = None,
        **options,
    ):
        path, default_scale = SCENARIOS[scenario]
        scale = scale or default_scale
        if scale < 10:
            raise CommandError("--scale must be at least 10")
        try:
            result = import_string(path)(scale=scale)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        extra = {
            k: v for k, v in result.items() if k not in ("floor_s", "app_s", "ratio", "queries")
        }
        if extra:
            self.stdout.write(
                " ".join(
                    f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in extra.items()
                )
            )
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"scenario={scenario} scale={scale} floor_s={_seconds(result['floor_s'])} "
            f"app_s={_seconds(result['app_s'])} ratio={result['ratio']:.2f} rss_mb={rss_mb:.0f} "
            f"queries={result['queries']}"
        )
        ratio = result["ratio"]
        if (min_ratio is not None and ratio < min_ratio) or (
            max_ratio is not None and ratio > max_ratio
        ):
            raise CommandError(
                f"{scenario}: ratio {ratio:.2f} is outside the bound "
                f"[{min_ratio if min_ratio is not None else '-'}, "
                f"{max_ratio if max_ratio is not None else '-'}]"
            )
