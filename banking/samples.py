"""camt.053.001.08 statements written by us, for the demo data and the import benchmark (the
real bank samples in the reference folder may not be redistributed as fixtures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Credit:
    amount: Decimal  # positive: incoming; negative: outgoing
    booked: date
    name: str
    iban: str
    text: str = ""
    reference: str = ""  # structured creditor reference (RF …)
    bank_reference: str = ""
    code: str = "PMNT/RCDT/ESCT"  # ISO bank transaction code: domain/family/sub-family
    end_to_end_id: str = "NOTPROVIDED"


def camt053(*, iban: str, statement_id: str, entries: list[Credit]) -> bytes:
    rows = []
    for n, e in enumerate(entries, start=1):
        indicator = "CRDT" if e.amount > 0 else "DBIT"
        party = "Dbtr" if e.amount > 0 else "Cdtr"
        structured = (
            f"<Strd><CdtrRefInf><Ref>{escape(e.reference)}</Ref></CdtrRefInf></Strd>"
            if e.reference
            else ""
        )
        text = f"<Ustrd>{escape(e.text)}</Ustrd>" if e.text else ""
        domain, family, sub_family = e.code.split("/")
        rows.append(
            f'<Ntry><Amt Ccy="EUR">{abs(e.amount):.2f}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>'
            f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{e.booked.isoformat()}</Dt></BookgDt>"
            f"<ValDt><Dt>{e.booked.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(e.bank_reference or f'{statement_id}-{n}')}</AcctSvcrRef>"
            f"<BkTxCd><Domn><Cd>{domain}</Cd><Fmly><Cd>{family}</Cd>"
            f"<SubFmlyCd>{sub_family}</SubFmlyCd></Fmly></Domn></BkTxCd><NtryDtls><TxDtls>"
            f"<Refs><EndToEndId>{escape(e.end_to_end_id)}</EndToEndId></Refs>"
            f"<RltdPties><{party}><Pty><Nm>{escape(e.name)}</Nm></Pty></{party}>"
            f"<{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct></RltdPties>"
            f"<RmtInf>{text}{structured}</RmtInf></TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(statement_id)}</MsgId><CreDtTm>2026-01-01T00:00:00</CreDtTm>"
        f"</GrpHdr><Stmt><Id>{escape(statement_id)}</Id>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
        + "".join(rows)
        + "</Stmt></BkToCstmrStmt></Document>"
    ).encode()
