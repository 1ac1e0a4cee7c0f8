"""Eligibility of an application, evaluated against the cooperative's rules.

Pure: no database. Each rule gives a finding with a reason staff can read; an application is
eligible when every finding passed. Staff still decide (approve, reject, ask for more).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

# EU and EEA states and Switzerland: freedom of movement, no work permit needed in Germany.
FREE_MOVEMENT = frozenset(
    {
        *("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"),
        *("IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"),
        *("IS", "LI", "NO", "CH"),
    }
)


@dataclass(frozen=True)
class Facts:
    nationality: str
    country: str
    date_of_birth: date | None
    permit_expires_on: date | None
    profession: str
    activity_description: str
    expected_monthly_volume: Decimal | None


@dataclass(frozen=True)
class Finding:
    rule: str
    passed: bool
    reason: str

    def as_dict(self) -> dict:
        return asdict(self)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def evaluate(rules, facts: Facts, *, today: date) -> list[Finding]:
    findings: list[Finding] = []

    text = f"{facts.profession}\n{facts.activity_description}".lower()
    hits = [activity for activity in rules.excluded_activity_list if activity.lower() in text]
    findings.append(
        Finding(
            "activity",
            not hits,
            _("Excluded or regulated activity: %(hits)s") % {"hits": ", ".join(hits)}
            if hits
            else _("The activity is not on the cooperative's exclusion list."),
        )
    )

    countries = rules.residence_country_list
    resident = facts.country.upper() in countries
    findings.append(
        Finding(
            "residence",
            resident,
            _("Resident in %(country)s.") % {"country": facts.country.upper()}
            if resident
            else _("Residence in %(country)s; the cooperative accepts %(accepted)s.")
            % {"country": facts.country.upper(), "accepted": ", ".join(countries)},
        )
    )

    if rules.require_work_permit and facts.nationality.upper() not in FREE_MOVEMENT:
        needed_until = today + timedelta(days=rules.permit_minimum_days_valid)
        if facts.permit_expires_on is None:
            findings.append(
                Finding("permit", False, _("A residence and work permit is needed; none given."))
            )
        elif facts.permit_expires_on < needed_until:
            findings.append(
                Finding(
                    "permit",
                    False,
                    _("The permit expires on %(date)s; it must be valid until at least %(until)s.")
                    % {
                        "date": facts.permit_expires_on.isoformat(),
                        "until": needed_until.isoformat(),
                    },
                )
            )
        else:
            findings.append(
                Finding(
                    "permit",
                    True,
                    _("Permit valid until %(date)s.")
                    % {"date": facts.permit_expires_on.isoformat()},
                )
            )
    else:
        findings.append(Finding("permit", True, _("No work permit needed (EU/EEA/Swiss citizen).")))

    volume = facts.expected_monthly_volume
    minimum = rules.minimum_monthly_order_volume
    enough = volume is not None and volume >= minimum
    findings.append(
        Finding(
            "order_volume",
            enough,
            _("Expected %(volume)s € per month; the minimum is %(minimum)s €.")
            % {"volume": volume if volume is not None else "–", "minimum": minimum},
        )
    )

    if facts.date_of_birth is None:
        findings.append(Finding("age", False, _("The date of birth is missing.")))
    else:
        age = _age(facts.date_of_birth, today)
        findings.append(
            Finding(
                "age",
                age >= rules.minimum_age,
                _("Age %(age)d; the minimum is %(minimum)d.")
                % {"age": age, "minimum": rules.minimum_age},
            )
        )
    return findings
