"""Field annotations that tell the grounding layer how to check a value.

Use them with ``typing.Annotated`` on any pydantic model::

    class Strike(BaseModel):
        killed: Annotated[int, Grounded()]                 # a count of the killed (its name says so)
        victims: Annotated[int, Grounded(role="injured")]  # a role the name does not say
        village: Annotated[str, Name(kind="place")]        # checked in the claim's own sentences
        quote: Annotated[str, Quote()]                     # evidence: where the claim is stated
        when: Annotated[datetime.date, Date()]             # against the text's date phrases
        note: Annotated[str, Skip()]                       # never checked

A field without a marker is read by the key rules of :mod:`llmextract.grounding.fields`
(``killed``, ``deaths``, ``town``, ``agency``, ``quote``, ``event_date``...); a marker overrides
them, and a marker's ``role`` overrides the role its field name would give. A string that no
marker and no rule covers is reported ``unchecked``, never skipped silently.

Roles:

* numbers (:class:`Grounded`): ``killed``, ``injured``, ``casualties`` (killed and injured
  together: grounds neither alone), ``children``, ``women``, ``men`` (breakdowns), ``people``
  (any count of people), ``any`` (any number of the text: the role is not checked);
* names (:class:`Name`): ``claimant``, ``relay``, ``source``, ``perpetrator``, ``place``,
  ``province``, ``country`` (grounded in the claim's own sentences), ``outlet`` and ``any``
  (anywhere in the text);
* quotes (:class:`Quote`): ``evidence`` (says where the claim is stated), ``figure`` (the phrase
  of a count), ``date`` (a date phrase, checked in the claim's sentences).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grounded:
    """A number that must appear in the text (as digits, words, a hedge or a range), in its role."""

    derived_ok: bool = False  # accept a value that is only a sum/product of mentions
    role: str | None = None  # killed, injured, casualties, children, women, men, people, any; None: the field name's


@dataclass(frozen=True)
class Name:
    """A string that names something (a place, an organisation, a claimant) in the text."""

    kind: str | None = None  # "place", "org", "person" or None for any
    threshold: float = 0.85  # minimum fuzzy score
    role: str | None = None  # claimant, relay, source, perpetrator, place, province, country, outlet, any


@dataclass(frozen=True)
class Quote:
    """A string that must be a verbatim (or near-verbatim) quote of the text."""

    threshold: float = 0.9
    role: str | None = None  # evidence, figure, date; None: from where it sits (a Count's phrase is a figure)


@dataclass(frozen=True)
class Date:
    """A date (``datetime.date`` or ISO text): consistent with its node's ``phrase``, else with a date
    phrase of the text."""


@dataclass(frozen=True)
class Skip:
    """A field the grounding layer never checks (identifiers, free-text notes, ISO dates)."""


Marker = Grounded | Name | Quote | Date | Skip
