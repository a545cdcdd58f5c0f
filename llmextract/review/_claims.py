"""What a claim says in short, which of its values grounding checks, and which field a finding is about.

Shared by the scorer, the export and the review page, so the three agree on what a "flagged" or
an "unchecked" value is:

* a **checkable** value is a leaf the grounding layer checks: a field marked ``Grounded``,
  ``Name`` or ``Quote`` (:mod:`llmextract.markers`), an unmarked number, and a resolved
  ``EventDate.date`` (checked against its phrase); ``Skip`` fields (kind, means, qualifiers,
  offsets) are not;
* it is **grounded** when a finding at its path has an ``ok`` verdict, **flagged** when the
  finding is not ok (unsupported, misattached, derived), **unchecked** when no finding covers it
  (grounding was off, or the value was added after grounding).
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from llmextract.schema import Claim, Count, EventDate, ExtractionResult, Finding

#: Breakdowns of the killed, scored together as "breakdowns".
BREAKDOWNS = ("children_killed", "women_killed", "men_killed")

_CLAIM_PATH = re.compile(r"^(claims|dropped)\[(\d+)\](?:\.(.*))?$")


def _marker_names(tp: Any) -> set[str]:
    """Class names of the markers anywhere inside an annotation (Annotated, unions, list items)."""
    out: set[str] = set()
    if typing.get_origin(tp) is typing.Annotated:
        out.update(type(m).__name__ for m in tp.__metadata__)
        tp = typing.get_args(tp)[0]
    for arg in typing.get_args(tp):
        out |= _marker_names(arg)
    return out


@lru_cache(maxsize=64)
def _field_kinds(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """(field, "check" | "skip" | "plain") for each field of a model, from its grounding markers."""
    out = []
    for name, info in cls.model_fields.items():
        marks = {type(m).__name__ for m in info.metadata} | _marker_names(info.annotation)
        if "Skip" in marks:
            out.append((name, "skip"))
        elif marks & {"Grounded", "Name", "Quote"}:
            out.append((name, "check"))
        else:
            out.append((name, "plain"))
    return tuple(out)


def checkable_leaves(obj: Any, path: str) -> list[tuple[str, Any]]:
    """(path, value) of every value of ``obj`` (a claim, or any part of one) that grounding checks."""
    out: list[tuple[str, Any]] = []
    if not isinstance(obj, BaseModel):
        return out
    for name, how in _field_kinds(type(obj)):
        value = getattr(obj, name, None)
        sub = f"{path}.{name}"
        if value is None:
            continue
        if how == "skip":
            if name == "date" and isinstance(value, dt.date) and getattr(obj, "phrase", None):
                out.append((sub, value))  # EventDate.date: checked against its phrase
            continue
        if isinstance(value, BaseModel):
            out.extend(checkable_leaves(value, sub))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    out.extend(checkable_leaves(item, f"{sub}[{i}]"))
                elif how == "check" and item not in (None, ""):
                    out.append((f"{sub}[{i}]", item))
        elif how == "check" and value != "":
            out.append((sub, value))
        elif how == "plain" and isinstance(value, int | float) and not isinstance(value, bool):
            out.append((sub, value))  # grounding checks every unmarked number
    return out


def _covers(finding_path: str, leaf: str) -> bool:
    return leaf == finding_path or leaf.startswith(finding_path + ".") or leaf.startswith(finding_path + "[")


class ClaimStatus(BaseModel):
    """The grounding state of one claim's values."""

    grounded: list[Finding] = []
    flagged: list[Finding] = []
    unchecked: list[tuple[str, Any]] = []  # (path, value) with no finding

    @property
    def problems(self) -> int:
        return len(self.flagged) + len(self.unchecked)


def claim_findings(result: ExtractionResult, prefix: str) -> list[Finding]:
    """The findings of the claim at ``prefix`` (``claims[2]`` or ``dropped[0]``)."""
    return [f for f in result.findings if f.path == prefix or f.path.startswith(prefix + ".")]


def claim_status(result: ExtractionResult, claim: Claim, prefix: str) -> ClaimStatus:
    """Grounded, flagged and unchecked values of one claim of ``result``."""
    findings = claim_findings(result, prefix)
    paths = [f.path for f in findings]
    unchecked = [(p, v) for p, v in checkable_leaves(claim, prefix) if not any(_covers(fp, p) for fp in paths)]
    return ClaimStatus(grounded=[f for f in findings if f.ok], flagged=[f for f in findings if not f.ok],
                       unchecked=unchecked)


def finding_field(path: str) -> str | None:
    """The scored field a finding's path is about: ``claims[0].killed.low`` -> ``killed``."""
    m = _CLAIM_PATH.match(path)
    if m is None or m.group(1) != "claims" or not m.group(3):
        return None
    rest = m.group(3)
    head = re.split(r"[.\[]", rest, maxsplit=1)[0]
    if head == "attribution":
        sub = rest[len("attribution."):]
        return re.split(r"[.\[]", sub, maxsplit=1)[0] or None  # claimant, relays, outlet
    if head in BREAKDOWNS:
        return "breakdowns"
    return head


def claim_index(path: str) -> tuple[str, int] | None:
    """("claims", 2) for ``claims[2].place.name``; None for a path outside any claim."""
    m = _CLAIM_PATH.match(path)
    return (m.group(1), int(m.group(2))) if m else None


def count_text(c: Count | None) -> str:
    """A count as a reader writes it: ``12``, ``3-7``, ``40+``, ``?``."""
    if c is None:
        return ""
    if c.low is not None and c.high is not None:
        return str(c.low) if c.low == c.high else f"{c.low}-{c.high}"
    if c.low is not None:
        return f"{c.low}+"
    if c.high is not None:
        return f"<={c.high}"
    return "?"


def place_text(claim: Claim) -> str:
    p = claim.place
    if p is None:
        return ""
    parts = [p.name or p.phrase]
    parts += [x for x in (p.province, p.country) if x and x != parts[0]]
    return ", ".join(parts)


def date_text(claim: Claim) -> str:
    """The event's date: ``2018-01-01 (on Monday)``, the day or the phrase alone when only one is known."""
    return event_date_text(claim.date)


def event_date_text(d: EventDate | None) -> str:
    """A date as :func:`date_text` shows it (an event's or a report's); '' for None."""
    if d is None:
        return ""
    if d.date is not None and d.phrase:
        return f"{d.date.isoformat()} ({d.phrase})"
    return d.date.isoformat() if d.date is not None else (d.phrase or "")


def describe(claim: Claim) -> str:
    """One line: ``incident; Local sources via SANA; Hajin, Syria; on Saturday; killed 20``."""
    a = claim.attribution
    who = a.claimant or ""
    if a.relays:
        who = f"{who or '?'} via {', '.join(a.relays)}"
    parts = [claim.kind.value, who, place_text(claim), date_text(claim)]
    for name in ("killed", "injured", "casualties", *BREAKDOWNS):
        c = getattr(claim, name)
        if c is not None:
            parts.append(f"{name.replace('_', ' ')} {count_text(c)}")
    return "; ".join(p for p in parts if p)


def first_quote(claim: Claim) -> str:
    """The claim's first evidence quote, else its first figure phrase, else its place phrase."""
    if claim.evidence:
        return claim.evidence[0].quote
    for name in ("killed", "injured", "casualties", *BREAKDOWNS):
        c = getattr(claim, name)
        if c is not None and c.phrase:
            return c.phrase
    return claim.place.phrase if claim.place is not None else ""
