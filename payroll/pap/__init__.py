"""The BMF wage-tax programme (Programmablaufplan, PAP) run from its official XML.

The BMF publishes the yearly wage-tax algorithm as XML pseudo-code over Java BigDecimal
(`Lohnsteuer2026.xml`, this folder, unchanged). We translate that XML into Python once per year
and process (`program(2026)`), so the calculation is the published one, a new year is a new file
and nobody retypes tax law. Arithmetic follows BigDecimal: exact add/subtract/multiply, `divide`
exact or with a stated scale and rounding, `setScale` with its rounding (see ADR 0017).

Inputs and outputs keep the PAP's names and units (cents): `program(2026).run(LZZ=2,
RE4=Decimal("250000"), STKL=1, ...)` returns the outputs (`LSTLZZ`, `SOLZLZZ`, `BK`, ...).
"""

from __future__ import annotations

import html
import re
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
)
from functools import cache
from pathlib import Path

from lxml import etree

FOLDER = Path(__file__).resolve().parent
# Wide enough that exact BigDecimal products and quotients of cent amounts never round.
_CONTEXT = Context(prec=60, rounding=ROUND_DOWN)


class BigDecimal(Decimal):
    """The few `java.math.BigDecimal` operations the PAP uses, on Python's Decimal."""

    __slots__ = ()

    ROUND_UP = ROUND_UP
    ROUND_DOWN = ROUND_DOWN
    ROUND_CEILING = ROUND_CEILING
    ROUND_FLOOR = ROUND_FLOOR
    ROUND_HALF_UP = ROUND_HALF_UP
    ROUND_HALF_DOWN = ROUND_HALF_DOWN
    ROUND_HALF_EVEN = ROUND_HALF_EVEN

    @classmethod
    def valueOf(cls, value) -> BigDecimal:
        # Java's valueOf(double) reads the double's shortest decimal form, which is repr().
        return cls(repr(value) if isinstance(value, float) else value)

    def add(self, other: Decimal) -> BigDecimal:
        return BigDecimal(_CONTEXT.add(self, other))

    def subtract(self, other: Decimal) -> BigDecimal:
        return BigDecimal(_CONTEXT.subtract(self, other))

    def multiply(self, other: Decimal) -> BigDecimal:
        return BigDecimal(_CONTEXT.multiply(self, other))

    def divide(self, other: Decimal, scale: int | None = None, rounding: str | None = None):
        if scale is None:
            quotient = _CONTEXT.divide(self, other)
            if _CONTEXT.multiply(quotient, other) != self:
                raise ArithmeticError("non-terminating decimal expansion")  # as BigDecimal
            return BigDecimal(quotient)
        # Truncated far beyond `scale`, then rounded once as asked: a quotient that does not
        # terminate is never exactly on a rounding boundary, so this equals BigDecimal's result.
        context = Context(
            prec=60, rounding=rounding if rounding in (ROUND_UP, ROUND_CEILING) else ROUND_DOWN
        )
        return BigDecimal(context.divide(self, other)).setScale(scale, rounding)

    def setScale(self, scale: int, rounding: str | None = None) -> BigDecimal:
        exact = self.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_DOWN, context=_CONTEXT)
        if rounding is None and exact != self:
            raise ArithmeticError("rounding necessary")  # as BigDecimal
        return BigDecimal(
            self.quantize(
                Decimal(1).scaleb(-scale), rounding=rounding or ROUND_DOWN, context=_CONTEXT
            )
        )

    def compareTo(self, other: Decimal) -> int:
        return (self > other) - (self < other)

    def longValue(self) -> int:
        return int(self)


BigDecimal.ZERO = BigDecimal(0)
BigDecimal.ONE = BigDecimal(1)
BigDecimal.TEN = BigDecimal(10)

_IDENTIFIER = re.compile(r"(?<![\w.])([A-Za-z_]\w*)")


class Program:
    """A year's PAP compiled to a Python class: each METHOD a method, each variable an
    attribute; `run(**inputs)` returns the outputs."""

    def __init__(self, path: Path) -> None:
        root = etree.parse(
            str(path), etree.XMLParser(resolve_entities=False, no_network=True)
        ).getroot()
        self.name = root.get("name")
        self.inputs: dict[str, str] = {}
        self.outputs: list[str] = []
        defaults: dict[str, str] = {}
        for element in root.iter("INPUT", "OUTPUT", "INTERNAL", "CONSTANT"):
            name = element.get("name")
            if element.tag == "INPUT":
                self.inputs[name] = element.get("type")
            elif element.tag == "OUTPUT":
                self.outputs.append(name)
            defaults[name] = (
                element.get("value") or element.get("default") or self._zero(element.get("type"))
            )
        self._names = set(defaults)
        lines = ["class _PAP:", "    def __init__(self):"]
        lines += [
            f"        self.{name} = {self._expression(value)}" for name, value in defaults.items()
        ]
        lines += ["    def MAIN(self):"]
        lines += self._block(next(root.iter("MAIN")), 2)
        for method in root.iter("METHOD"):
            lines.append(f"    def {method.get('name')}(self):")
            lines += self._block(method, 2)
        namespace = {"BigDecimal": BigDecimal}
        exec(compile("\n".join(lines), str(path), "exec"), namespace)  # noqa: S102 - our own file
        self._class = namespace["_PAP"]

    @staticmethod
    def _zero(kind: str | None) -> str:
        return "0" if kind in ("int", "double") else "BigDecimal.ZERO"

    def _expression(self, text: str) -> str:
        text = html.unescape(text).strip()
        text = text.replace("&&", " and ").replace("||", " or ")
        text = re.sub(r"!(?!=)", " not ", text)
        text = text.replace("{", "[").replace("}", "]")
        return _IDENTIFIER.sub(
            lambda m: f"self.{m.group(1)}" if m.group(1) in self._names else m.group(1), text
        )

    def _block(self, element, depth: int) -> list[str]:
        pad = "    " * depth
        lines = []
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "EVAL":
                target, _, value = child.get("exec").partition("=")
                lines.append(f"{pad}{self._expression(target)} = {self._expression(value)}")
            elif child.tag == "EXECUTE":
                lines.append(f"{pad}self.{child.get('method')}()")
            elif child.tag == "IF":
                lines.append(f"{pad}if {self._expression(child.get('expr'))}:")
                then, otherwise = child.find("THEN"), child.find("ELSE")
                lines += self._block(then, depth + 1) if then is not None else []
                if otherwise is not None:
                    lines.append(f"{pad}else:")
                    lines += self._block(otherwise, depth + 1)
            else:
                raise ValueError(f"unknown PAP element {child.tag}")
        return lines + ([f"{pad}pass"] if not lines else [])

    def run(self, **inputs) -> dict:
        unknown = set(inputs) - set(self.inputs)
        if unknown:
            raise TypeError(f"not inputs of {self.name}: {', '.join(sorted(unknown))}")
        state = self._class()
        for name, value in inputs.items():
            kind = self.inputs[name]
            setattr(state, name, BigDecimal(value) if kind == "BigDecimal" else value)
        state.MAIN()
        return {name: getattr(state, name) for name in self.outputs}


@cache
def program(year: int) -> Program:
    path = FOLDER / f"Lohnsteuer{year}.xml"
    if not path.exists():
        raise LookupError(f"no wage-tax programme (PAP) for {year}")
    return Program(path)
