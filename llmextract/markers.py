"""Field annotations that tell the grounding layer how to check a value.

Use them with ``typing.Annotated`` on any pydantic model::

    class Strike(BaseModel):
        killed: Annotated[int, Grounded()]
        village: Annotated[str, Name(kind="place")]
        quote: Annotated[str, Quote()]

Fields without a marker are still checked when they are numbers (every number leaf is
grounded); strings without a marker are not treated as names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grounded:
    """A number that must appear in the text (as digits, words, a hedge or a range)."""

    derived_ok: bool = False  # accept a value that is only a sum/product of mentions


@dataclass(frozen=True)
class Name:
    """A string that names something (a place, an organisation, a claimant) in the text."""

    kind: str | None = None  # "place", "org", "person" or None for any
    threshold: float = 0.85  # minimum fuzzy score


@dataclass(frozen=True)
class Quote:
    """A string that must be a verbatim (or near-verbatim) quote of the text."""

    threshold: float = 0.9


@dataclass(frozen=True)
class Skip:
    """A field the grounding layer never checks (identifiers, free-text notes, ISO dates)."""


Marker = Grounded | Name | Quote | Skip
