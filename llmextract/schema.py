"""The pydantic models: articles in, claims and verified results out.

A count is never a bare integer: it keeps the verbatim phrase, a low and a high bound and
the qualifier, after the way Airwars, ACLED, UCDP and MUC-4 code casualty figures.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator
from pydantic.json_schema import SkipJsonSchema

from llmextract.markers import Grounded, Name, Quote, Skip

#: The version of the result layout: bumped whenever a field of a result changes meaning or shape.
#: Every result records it, and the batch result cache keys on it. 1: 0.1.0 (unrecorded); 2: schema_version,
#: Provenance.transport_retries; 3: derived fields (victims, date start/end, place data, report date,
#: civilians killed, belligerent) and casualties.
SCHEMA_VERSION = 3

#: A claim's count fields, totals first, then the breakdowns of the killed.
COUNT_FIELDS = ("killed", "injured", "casualties", "children_killed", "women_killed", "men_killed")



class Qualifier(StrEnum):
    """How a count relates to the true figure."""

    exact = "exact"  # "20 civilians"
    at_least = "at_least"  # "at least 6", "no fewer than"
    more_than = "more_than"  # "more than 20", "over 20" (low is the stated figure)
    about = "about"  # "about 100", "some 300,000", "nearly 50"
    up_to = "up_to"  # "up to 30", "as many as 30", "less than 10"
    range = "range"  # "between 6 and 8", "6-8"
    vague = "vague"  # "dozens", "scores", "hundreds" (conservative low bound)


class Victims(StrEnum):
    """Who a count counts, from the words of its phrase ("civilians", "fighters", "people")."""

    civilians = "civilians"
    combatants = "combatants"
    mixed = "mixed"  # "civilians and fighters", "including 12 soldiers"
    unknown = "unknown"  # "people", "persons", no victim noun


#: A value the toolkit derives (from the gazetteer, the calendar or the phrase), never asked of a model:
#: kept out of the JSON schema the model is sent, and not grounded against the text.
Derived = SkipJsonSchema


class Count(BaseModel):
    """A casualty figure as the text states it."""

    model_config = ConfigDict(extra="forbid")

    phrase: Annotated[str, Quote()] = Field(
        description="The words of the text that state the figure, verbatim: 'at least a dozen'."
    )
    low: Annotated[int | None, Grounded()] = Field(
        default=None, ge=0,
        description="Lowest figure the phrase allows (the stated figure for 'at least', 'more than').",
    )
    high: Annotated[int | None, Grounded()] = Field(
        default=None, ge=0, description="Highest figure the phrase allows; null when open-ended."
    )
    qualifier: Annotated[Qualifier, Skip()] = Qualifier.exact
    victims: Annotated[Derived[Victims], Skip()] = Field(
        default=Victims.unknown, description="Whom the figure counts: civilians, combatants, a mix, or unknown.")

    @model_validator(mode="before")
    @classmethod
    def _drop_computed(cls, data: Any) -> Any:
        """A dumped Count carries its computed ``best``; reading it back ignores that key."""
        if isinstance(data, dict) and "best" in data:
            data = {k: v for k, v in data.items() if k != "best"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def best(self) -> int | None:
        """The conservative single figure (ACLED's rule): the low bound, else the high."""
        return self.low if self.low is not None else self.high


class ClaimKind(StrEnum):
    incident = "incident"  # one event: a strike, an attack
    tally = "tally"  # a cumulative count over a period and a region
    allegation = "allegation"  # a charge without a count


class DatePrecision(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    year = "year"
    unknown = "unknown"


class Span(BaseModel):
    """Char offsets into the original, unmodified article text (Python string indices)."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class Evidence(BaseModel):
    """A verbatim quote of the article that supports a claim."""

    quote: Annotated[str, Quote()]
    start: Annotated[int | None, Skip()] = Field(default=None, ge=0)
    end: Annotated[int | None, Skip()] = Field(default=None, ge=0)


class Attribution(BaseModel):
    """Who says so: the claimant, the parties that relayed it, and the outlet that published it."""

    claimant: Annotated[str | None, Name(kind="org")] = Field(
        default=None, description="Who makes the claim: 'Local sources', 'the Syrian Observatory for Human Rights'."
    )
    relays: list[Annotated[str, Name(kind="org")]] = Field(
        default_factory=list, description="Who passed it on, nearest the claimant first: ['SANA']."
    )
    outlet: Annotated[str | None, Name(kind="org")] = Field(
        default=None, description="The outlet that published the article, if the text names it: 'Press TV'."
    )


class EventDate(BaseModel):
    phrase: Annotated[str | None, Quote()] = Field(default=None, description="Verbatim: 'on Monday', 'last week'.")
    date: Annotated[dt.date | None, Skip()] = Field(
        default=None, description="Resolved against the published date when it allows; else null."
    )
    precision: Annotated[DatePrecision, Skip()] = DatePrecision.unknown
    start: Annotated[Derived[dt.date | None], Skip()] = Field(
        default=None, description="First day of the period the phrase allows ('between October 23 and ...').")
    end: Annotated[Derived[dt.date | None], Skip()] = Field(
        default=None, description="Last day of that period; equal to start for a single day.")


class Place(BaseModel):
    phrase: Annotated[str, Name(kind="place")] = Field(description="The place as the text writes it: 'Hajin'.")
    name: Annotated[str | None, Name(kind="place")] = Field(
        default=None, description="Normalised (gazetteer) name: 'Hajin'."
    )
    province: Annotated[str | None, Name(kind="place")] = Field(default=None, description="'Deir ez-Zor'.")
    country: Annotated[str | None, Name(kind="place")] = Field(default=None, description="'Syria'.")
    admin1: Annotated[Derived[str | None], Skip()] = Field(
        default=None, description="The province's one canonical spelling (GeoNames admin1).")
    country_code: Annotated[Derived[str | None], Skip()] = Field(default=None, description="ISO 3166-1 alpha-2.")
    geonames_id: Annotated[Derived[int | None], Skip()] = Field(default=None, description="GeoNames id.")
    latitude: Annotated[Derived[float | None], Skip()] = None
    longitude: Annotated[Derived[float | None], Skip()] = None
    precision: Annotated[Derived[int | None], Skip()] = Field(
        default=None, ge=1, le=7,
        description="UCDP where_prec: 1 the exact place, 2 within 25 km, 3 the district, 4 the province, "
                    "6 the country, 7 wider; None when nothing resolved.")


class Claim(BaseModel):
    """One statement, by someone, that something happened."""

    kind: Annotated[ClaimKind, Skip()] = ClaimKind.incident
    attribution: Attribution = Field(default_factory=Attribution)
    date: EventDate | None = None
    reported: Annotated[Derived[EventDate | None], Skip()] = Field(
        default=None, description="When the claim was made ('reported on Monday'), kept apart from the event's date.")
    place: Place | None = None
    perpetrator: Annotated[str | None, Name(kind="org")] = Field(
        default=None, description="Who is said to have done it: 'the US-led coalition'."
    )
    means: Annotated[str | None, Skip()] = Field(
        default=None, description="'airstrike', 'shelling', 'suicide bombing'.")
    killed: Count | None = None
    injured: Count | None = None
    casualties: Count | None = Field(
        default=None, description="Killed and injured together, when the text gives only that ('60 casualties'); "
                                  "never split into killed or injured.")
    children_killed: Count | None = None
    women_killed: Count | None = None
    men_killed: Count | None = None
    toll_may_rise: Annotated[bool, Skip()] = Field(
        default=False, description="The text says the toll is expected to rise or is not final."
    )
    civilians_killed: Annotated[Derived[Count | None], Skip()] = Field(
        default=None, description="The civilians among the killed, where the text breaks a mixed total down "
                                  "(UCDP's deaths_civilians); None when the total counts civilians already.")
    belligerent: Annotated[Derived[str | None], Skip()] = Field(
        default=None, description="The perpetrator as one name per party ('Israeli airstrike' -> 'Israel').")
    evidence: list[Evidence] = Field(default_factory=list)


class Verdict(StrEnum):
    """How the text supports one value: grounded, unchecked, or a failure. The one place this is decided.

    * grounded (``ok``): ``exact``, ``normalized`` (case, marks, number words), ``alias`` (another
      name of the same party or place), ``fuzzy`` (a typo apart), ``inferred`` (reached through a
      back-reference in the claim's scope: "in the same province");
    * ``unchecked``: nothing could check it (a string under a key no rule or marker covers). Listed
      and shown, never a failure: the CLI exits 0 and ``strict`` keeps it;
    * failures (``failed``): ``derived`` (only a sum or product of stated figures), ``misattached``
      (stated, but in another claim, another role, or as a reference point), ``unsupported`` (not
      in the text), ``unanchored`` (the claim has no evidence or counts to say where it is stated),
      ``suspicious_source`` (stated only in text addressed to a model). ``report.ok`` is False, the
      CLI exits 1, ``strict`` re-asks and then drops the value's claim.
    """

    exact = "exact"
    normalized = "normalized"
    alias = "alias"
    fuzzy = "fuzzy"
    inferred = "inferred"
    unchecked = "unchecked"
    derived = "derived"
    misattached = "misattached"
    unsupported = "unsupported"
    unanchored = "unanchored"
    suspicious_source = "suspicious_source"

    @property
    def ok(self) -> bool:
        """Grounded: the text says it, in this claim and this role."""
        return self in _GROUNDED

    @property
    def failed(self) -> bool:
        """Neither grounded nor merely unchecked."""
        return self not in _GROUNDED and self is not Verdict.unchecked


_GROUNDED = frozenset({Verdict.exact, Verdict.normalized, Verdict.alias, Verdict.fuzzy, Verdict.inferred})


class Finding(BaseModel):
    """One grounding check of one leaf of an extraction."""

    path: str  # "claims[0].killed.low"
    value: Any
    verdict: Verdict
    spans: list[Span] = Field(default_factory=list)
    score: float | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def failed(self) -> bool:
        return self.verdict.failed


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


class Provenance(BaseModel):
    """How a result was made. Never holds a secret: endpoints are stored without credentials."""

    extractor: str  # "offline" or "llm"
    model_used: bool
    endpoint: str | None = None
    model: str | None = None
    profile: str | None = None
    prompt_hash: str | None = None
    usage: Usage = Field(default_factory=Usage)
    attempts: int = 0
    transport_retries: int = Field(default=0, description="Requests sent again after a timeout, 429 or 5xx.")
    latency_s: float = 0.0
    raw_replies: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    version: str = ""


class Article(BaseModel):
    """An article's text, unmodified, and what is known about it.

    ``published``, when not given, is read off the head of the text (a ``date YYYY-MM-DD`` line,
    an ISO date line, a "Published ..." line, a dateline): see :func:`llmextract.text.dates.find_published`.
    """

    text: str
    id: str | None = None
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: dt.date | None = None

    def model_post_init(self, __context: Any) -> None:
        if self.published is None:
            from llmextract.text.dates import find_published  # text/ builds on the schema: imported when used

            self.published = find_published(self.text)
        if self.id is None:
            self.id = self.content_hash[:16]

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


class ExtractionResult(BaseModel):
    """Claims, the grounding findings on them, and the provenance of the run."""

    schema_version: int = SCHEMA_VERSION
    article_id: str | None = None
    content_hash: str | None = None
    published: dt.date | None = None
    claims: list[Claim] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    dropped: list[Claim] = Field(
        default_factory=list, description="Claims removed by the strict grounding policy, kept for review."
    )
    provenance: Provenance

    @property
    def unsupported(self) -> list[Finding]:
        """The findings that fail (see :class:`Verdict`); unchecked values are not among them."""
        return [f for f in self.findings if f.failed]

    def to_rows(self, **options: Any) -> list[dict[str, Any]]:
        """One flat dict per claim, in the columns conflict researchers use (see :mod:`llmextract.review.export`)."""
        from llmextract.review.export import to_rows

        return to_rows(self, **options)

    def to_dataframe(self, **options: Any) -> Any:
        """:meth:`to_rows` as a pandas DataFrame (``pip install 'llmextract[pandas]'``)."""
        from llmextract.review.export import to_dataframe

        return to_dataframe([self], **options)

    def findings_for(self, claim_index: int) -> list[Finding]:
        prefix = f"claims[{claim_index}]"
        return [f for f in self.findings if f.path == prefix or f.path.startswith(prefix + ".")]


class ClaimList(BaseModel):
    """What the model is asked to return."""

    claims: list[Claim] = Field(default_factory=list)


@functools.cache
def claimlist_schema() -> dict[str, Any]:
    """ClaimList's JSON schema, generated once (pydantic makes it anew on every call, ~5 ms).

    Shared by every caller: read it, or copy it (``copy.deepcopy``) before changing it.
    """
    return ClaimList.model_json_schema()
