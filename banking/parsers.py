"""Bank statement files → plain data: camt.053 (.001.02 … .08), camt.054 and MT940 (legacy).

Files come from outside, so parsing is defensive (R19): a size limit, no DTDs, no entities, no
network, no huge trees; anything unexpected becomes a `StatementError` with a message a person
can act on, never a crash. Only booked entries (status BOOK) are returned.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 200_000


class StatementError(ValueError):
    pass


@dataclass
class ParsedEntry:
    booking_date: date
    value_date: date | None
    amount: Decimal  # credit positive, debit negative
    currency: str
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    creditor_reference: str = ""  # structured reference (RF …) from RmtInf/Strd
    end_to_end_id: str = ""
    bank_reference: str = ""  # AcctSvcrRef / MT940 bank reference
    code: str = ""  # BkTxCd or GVC
    is_return: bool = False
    return_reason: str = ""


@dataclass
class ParsedStatement:
    format: str  # camt053, camt054, mt940
    account_iban: str
    statement_id: str
    currency: str
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    entries: list[ParsedEntry] = field(default_factory=list)


def parse(content: bytes) -> list[ParsedStatement]:
    if len(content) > MAX_BYTES:
        raise StatementError(
            _("The file is larger than %(mb)d MB; split it or import it in parts.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:200]
    if head.startswith(b"<"):
        return _parse_camt(content)
    if b":20:" in content[:4096] and b":25:" in content[:8192]:
        return _parse_mt940(content)
    raise StatementError(_("This is neither a camt.053/camt.054 XML file nor an MT940 statement."))


# --- camt -------------------------------------------------------------------------------------

_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.05[34])\.001\.(\d\d)")


def _xml_root(content: bytes):
    from lxml import etree

    upper = content[:65536].upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper or b"<!DOCTYPE" in content.upper():
        raise StatementError(
            _("The file contains a DOCTYPE or entities; it is refused for safety.")
        )
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        return etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(
            _("The file is not well-formed XML (%(detail)s).") % {"detail": str(exc)[:120]}
        ) from exc


def _namespace(element) -> str:
    """`{urn:…}` of an element (camt files use one namespace throughout), or ""."""
    tag = element.tag
    return tag[: tag.find("}") + 1] if isinstance(tag, str) and tag.startswith("{") else ""


def _child(element, *path):
    """The first descendant along the path of local names, in the element's namespace (lxml's
    own lookup: a statement of ten thousand entries makes a million of these)."""
    current = element
    for name in path:
        if current is None:
            return None
        current = current.find(_namespace(current) + name)
    return current


def _children(element, name):
    return element.findall(_namespace(element) + name) if element is not None else []


def _text(element, *path) -> str:
    found = _child(element, *path) if path else element
    return (found.text or "").strip() if found is not None else ""


def _date(element, *path) -> date | None:
    found = _child(element, *path)
    if found is None:
        return None
    raw = _text(found, "Dt") or _text(found, "DtTm")
    if not raw:
        return None
    try:
        return (
            datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
            if "T" in raw
            else date.fromisoformat(raw[:10])
        )
    except ValueError as exc:
        raise StatementError(_("Invalid date “%(value)s” in the file.") % {"value": raw}) from exc


def _amount(element) -> tuple[Decimal, str]:
    if element is None:
        raise StatementError(_("An entry has no amount."))
    try:
        value = Decimal(element.text.strip())
    except (InvalidOperation, AttributeError) as exc:
        raise StatementError(_("An entry has an invalid amount.")) from exc
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise StatementError(_("An entry has an invalid amount."))
    return value, element.get("Ccy", "")


def _party(details, role: str) -> tuple[str, str]:
    parties = _child(details, "RltdPties")
    party = _child(parties, role)
    name = _text(party, "Nm") or _text(party, "Pty", "Nm")
    account = _child(parties, f"{role}Acct", "Id")
    iban = _text(account, "IBAN") or _text(account, "Othr", "Id")
    return name, iban.replace(" ", "").upper()


def _entry_details(entry, details, sign: Decimal, currency: str, base: dict) -> ParsedEntry:
    counterparty = "Dbtr" if sign > 0 else "Cdtr"
    name, iban = _party(details, counterparty) if details is not None else ("", "")
    remittance = _child(details, "RmtInf") if details is not None else None
    texts = [_text(u) for u in _children(remittance, "Ustrd")]
    creditor_reference = ""
    for structured in _children(remittance, "Strd"):
        creditor_reference = creditor_reference or _text(structured, "CdtrRefInf", "Ref")
    amount = base["amount"]
    if details is not None and base["batch"]:
        # Only a batch entry's parts carry their own amounts; for a single payment the entry's
        # amount is what was booked (some banks leave a zero or foreign amount in TxDtls).
        own = _child(details, "Amt")
        if own is None:
            own = _child(details, "AmtDtls", "TxAmt", "Amt")
        if own is not None:
            amount, _currency = _amount(own)
    return_info = _child(details, "RtrInf") if details is not None else None
    extra = _text(entry, "AddtlNtryInf")
    return ParsedEntry(
        booking_date=base["booking_date"],
        value_date=base["value_date"],
        amount=sign * amount,
        currency=currency,
        counterparty_name=name[:140],
        counterparty_iban=iban[:34],
        remittance=(" ".join(t for t in texts if t) or extra)[:500],
        creditor_reference=creditor_reference[:35],
        end_to_end_id=_text(details, "Refs", "EndToEndId")[:35] if details is not None else "",
        bank_reference=base["bank_reference"],
        code=base["code"],
        is_return=return_info is not None or "RTRN" in base["code"],
        return_reason=_text(return_info, "Rsn", "Cd")[:10] if return_info is not None else "",
    )


def _parse_camt(content: bytes) -> list[ParsedStatement]:
    root = _xml_root(content)
    match = _NS.match(root.nsmap.get(None, "") or "")
    if match is None:
        raise StatementError(
            _("This XML file is not a camt.053 or camt.054 bank statement (namespace %(ns)s).")
            % {"ns": (root.nsmap.get(None) or "-")[:80]}
        )
    kind = match.group(1).replace(".", "")
    container = _child(root, "BkToCstmrStmt") if kind == "camt053" else None
    container = container if container is not None else _child(root, "BkToCstmrDbtCdtNtfctn")
    if container is None:
        raise StatementError(_("The file has no statement (BkToCstmrStmt) in it."))
    items = _children(container, "Stmt") or _children(container, "Ntfctn")
    if not items:
        raise StatementError(_("The file has no statement (Stmt) in it."))
    statements = []
    count = 0
    for item in items:
        account = _child(item, "Acct", "Id")
        iban = (_text(account, "IBAN") or _text(account, "Othr", "Id")).replace(" ", "").upper()
        if not iban:
            raise StatementError(
                _(
                    "The statement names no account (Acct/Id): the file looks incomplete, "
                    "perhaps a fragment. Please export the complete statement from the bank."
                )
            )
        statement = ParsedStatement(
            format=kind,
            account_iban=iban,
            statement_id=_text(item, "Id")[:70],
            currency=_text(item, "Acct", "Ccy"),
        )
        for balance in _children(item, "Bal"):
            code = _text(balance, "Tp", "CdOrPrtry", "Cd")
            value, _ccy = _amount(_child(balance, "Amt"))
            value = -value if _text(balance, "CdtDbtInd") == "DBIT" else value
            if code in ("OPBD", "PRCD") and statement.opening_balance is None:
                statement.opening_balance = value
            elif code == "CLBD":
                statement.closing_balance = value
        for entry in _children(item, "Ntry"):
            status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
            if status and status != "BOOK":
                continue
            amount, currency = _amount(_child(entry, "Amt"))
            indicator = _text(entry, "CdtDbtInd")
            if indicator not in ("CRDT", "DBIT"):
                raise StatementError(_("An entry is neither credit nor debit (CdtDbtInd)."))
            sign = Decimal("1") if indicator == "CRDT" else Decimal("-1")
            if _text(entry, "RvslInd").lower() == "true":
                sign = -sign
            booking_date = _date(entry, "BookgDt") or _date(entry, "ValDt")
            if booking_date is None:
                raise StatementError(_("An entry has no booking date."))
            code_parts = [
                _text(entry, "BkTxCd", "Domn", "Cd"),
                _text(entry, "BkTxCd", "Domn", "Fmly", "Cd"),
                _text(entry, "BkTxCd", "Domn", "Fmly", "SubFmlyCd"),
            ]
            code = "/".join(p for p in code_parts if p) or _text(entry, "BkTxCd", "Prtry", "Cd")
            base = {
                "amount": amount,
                "booking_date": booking_date,
                "value_date": _date(entry, "ValDt"),
                "bank_reference": _text(entry, "AcctSvcrRef")[:70],
                "code": code[:35],
            }
            transactions = [
                tx
                for details in _children(entry, "NtryDtls")
                for tx in _children(details, "TxDtls")
            ]
            base["batch"] = len(transactions) > 1
            for details in transactions or [None]:
                statement.entries.append(
                    _entry_details(entry, details, sign, currency or statement.currency, base)
                )
                count += 1
                if count > MAX_ENTRIES:
                    raise StatementError(_("The file has too many entries."))
        statements.append(statement)
    return statements


# --- MT940 ------------------------------------------------------------------------------------

_SEPA_FIELDS = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC)\+")


def _mt940_account(identification: str) -> str:
    """`50880050/0194804000888` (BLZ/account) → the German IBAN; an IBAN stays as it is."""
    from schwifty import IBAN

    raw = (identification or "").replace(" ", "").upper()
    if re.match(r"^[A-Z]{2}\d{2}[A-Z0-9]+$", raw):
        return raw
    bank, _, account = raw.partition("/")
    if bank.isdigit() and account.isdigit():
        try:
            return str(IBAN.generate("DE", bank_code=bank, account_code=account.lstrip("0") or "0"))
        except ValueError:
            pass
    return raw


_VALUE_DATE = re.compile(r"^:61:(\d{2})(\d{2})(\d{2})", re.MULTILINE)


def _real_value_date(match: re.Match) -> str:
    """Some German banks book quarter-end fees on “30 February”: read it as the month's end."""
    import calendar

    year, month, day = (int(g) for g in match.groups())
    if 1 <= month <= 12:
        day = min(day, calendar.monthrange(2000 + year, month)[1])
    return f":61:{year:02d}{month:02d}{day:02d}"


def _plain_date(value) -> date:
    return date(value.year, value.month, value.day)


def _parse_mt940(content: bytes) -> list[ParsedStatement]:
    import mt940

    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    text = _VALUE_DATE.sub(_real_value_date, text)
    transactions = mt940.models.Transactions(
        processors={
            "pre_statement": [mt940.processors.add_currency_pre_processor("EUR")],
            "post_transaction_details": [mt940.processors.transaction_details_post_processor],
        }
    )
    try:
        transactions.parse(text)
    except Exception as exc:  # the library raises many kinds on malformed input
        raise StatementError(
            _("The MT940 statement could not be read (%(detail)s).") % {"detail": str(exc)[:120]}
        ) from exc
    account = _mt940_account(transactions.data.get("account_identification", ""))
    if not account:
        raise StatementError(_("The MT940 statement names no account (:25:)."))
    statement = ParsedStatement(
        format="mt940",
        account_iban=account,
        statement_id=str(transactions.data.get("statement_number", ""))[:70],
        currency="EUR",
    )
    opening = transactions.data.get("final_opening_balance")
    closing = transactions.data.get("final_closing_balance")
    statement.opening_balance = opening.amount.amount if opening is not None else None
    statement.closing_balance = closing.amount.amount if closing is not None else None
    if len(transactions.transactions) > MAX_ENTRIES:
        raise StatementError(_("The file has too many entries."))
    for tx in transactions.transactions:
        data = tx.data
        amount = data["amount"].amount
        details = data.get("transaction_details") or ""
        purpose = (
            " ".join(str(data.get(k) or "") for k in ("purpose", "additional_purpose")).strip()
            or details
        )
        references = dict(
            (m.group(1), details[m.end() :].split("+", 1)[0][:35])
            for m in _SEPA_FIELDS.finditer(details.replace("?2", ""))
        )
        gvc = str(data.get("transaction_code") or "")
        statement.entries.append(
            ParsedEntry(
                booking_date=_plain_date(data.get("entry_date") or data["date"]),
                value_date=_plain_date(data["date"]),
                amount=Decimal(amount),
                currency=data.get("currency") or "EUR",
                counterparty_name=str(data.get("applicant_name") or "")[:140],
                counterparty_iban=str(data.get("applicant_iban") or "").replace(" ", "")[:34],
                remittance=purpose[:500],
                end_to_end_id=str(
                    data.get("end_to_end_reference") or references.get("EREF", "")
                ).strip()[:35],
                bank_reference=str(data.get("bank_reference") or "")[:70],
                code=gvc[:35],
                is_return=gvc in ("159", "109") or data.get("status") in ("RC", "RD"),
            )
        )
    return [statement]


def dedupe_keys(entries: list[ParsedEntry], account_iban: str) -> list[str]:
    """A stable key per entry, the same in overlapping statements: the bank's own reference when
    given, else the content; identical entries on one day are told apart by their order."""
    seen: dict[str, int] = {}
    keys = []
    for entry in entries:
        if entry.bank_reference and entry.bank_reference.upper() not in ("NONREF", "NOTPROVIDED"):
            basis = f"ref|{entry.bank_reference}|{entry.end_to_end_id}|{entry.amount}"
        else:
            basis = "|".join(
                str(v)
                for v in (
                    entry.booking_date,
                    entry.value_date,
                    entry.amount,
                    entry.currency,
                    entry.counterparty_iban,
                    entry.counterparty_name,
                    entry.remittance,
                    entry.end_to_end_id,
                    entry.code,
                )
            )
        seen[basis] = seen.get(basis, 0) + 1
        digest = hashlib.sha256(f"{account_iban}|{basis}|{seen[basis]}".encode()).hexdigest()
        keys.append(digest)
    return keys
