"""Claim-level mutations of gold extractions (issue 10): a value moved to another claim, role or reference point.

    python benchmarks/claim_mutations.py [--seed 0]                 # count the mutations per kind
    python benchmarks/claim_mutations.py --ground OUT.json [--seed 0]  # and grade them with the grounder

Sources: the five sample articles with their gold (``examples/articles``, ``examples/gold``) and the
multi-claim texts of ``benchmarks/data/multiclaim.jsonl`` (see ``benchmarks/data/README.md``).
``mutate(source, seed)`` returns, for one article, every mutation below; each changes the gold
claims in one way and names the leaf to grade (``path``) and the verdict a claim-level grounder
should give it (``expected``). The rest of the extraction is left as it is.

* ``claimant_swap``, ``place_swap``, ``date_swap``, ``perpetrator_swap``: claim ``i`` gets the
  value of claim ``j`` of the same article (claimant; whole place; whole date; perpetrator).
  Skipped when the two name one party, place or day (own alias table for the samples' parties,
  folding, containment: "coalition" and "the US-led coalition" are one; weapon words aside:
  "a Houthi drone" and "a Houthi missile" are one), or when the value is written anywhere in
  claim ``i``'s scope. Expected: ``misattached``.
* ``killed_injured_swap``, ``breakdown_total_swap``: a claim's killed and injured counts, or its
  killed total and a breakdown (children, women, men), exchanged whole (phrase, bounds,
  qualifier). One mutation per side, graded on that side's bound. Expected: ``misattached``.
* ``year_as_count``, ``day_as_count``, ``age_as_count``, ``ordinal_as_count`` (and, beyond the
  issue's list, ``measure_``, ``percent_``, ``money_``, ``phone_``, ``designator_``, ``things_``,
  ``duration_``, ``time_as_count``): a number of the claim's scope that does not count people
  becomes one of its counts, phrase and bounds ("2019" -> killed 2019). Skipped when the figure
  may count people anywhere in the article. Expected: ``unsupported``.
* ``reference_place``: the claim's place becomes (or, with no place, is given) a place its scope
  names only as a reference point ("45 km southeast of Deir ez-Zor"); not the claim's own place,
  province or country. Expected: ``misattached``.

A claim's scope is issue 10's: the sentences of its evidence quotes and of its count phrases,
plus the sentence before each. The generator finds sentences, numbers that are not counts of
people, and reference points with its own rules (below), never by asking the grounding layer;
for the multi-claim texts it uses their hand annotations, which ``check_multiclaim.py`` proves
these rules reproduce. ``unmutated_leaves(claims)`` lists the gold leaves by field kind, for the
false-positive rate per kind. Deterministic: the only random choice (which count a non-count
number replaces) is drawn from ``random.Random(f"{seed}:{source.id}")``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import random
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from llmextract.schema import COUNT_FIELDS, Claim, Count, ExtractionResult, Place  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "multiclaim.jsonl"
EXAMPLES = ROOT / "examples"

SWAP_KINDS = ("claimant_swap", "place_swap", "date_swap", "perpetrator_swap")
ROLE_KINDS = ("killed_injured_swap", "breakdown_total_swap")
#: Numbers that do not count people, in the order issue 10 names them; the first four are required kinds.
NON_COUNT_ROLES = ("year", "day", "age", "ordinal", "measure", "percent", "money", "phone", "designator", "things",
                   "duration", "time")
REQUIRED_KINDS = (*SWAP_KINDS, *ROLE_KINDS, "year_as_count", "day_as_count", "age_as_count", "ordinal_as_count",
                  "reference_place")
KINDS = (*REQUIRED_KINDS, *(f"{r}_as_count" for r in NON_COUNT_ROLES[4:]))
#: Verdicts that ground a value; any other verdict of a mutated leaf, except ``unchecked``, catches it.
GROUNDED = frozenset({"exact", "normalized", "alias", "fuzzy", "inferred"})
BREAKDOWNS = ("children_killed", "women_killed", "men_killed")


def caught(verdict: str | None) -> bool:
    """Whether a mutated leaf's verdict flags it (``unchecked`` and a missing finding do not)."""
    return verdict is not None and verdict not in GROUNDED and verdict != "unchecked"


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class NonCount:
    """A number of the text that does not count people: a year, a day of the month, an age..."""

    role: str
    text: str
    start: int
    end: int
    value: int


@dataclass(frozen=True, slots=True)
class Reference:
    """A place the text names only as a reference point: "Damascus" in "455 km northeast of Damascus"."""

    phrase: str
    start: int
    end: int


@dataclass
class Source:
    """One article: its text, its gold claims, and what the generator knows of its numbers and places."""

    id: str
    text: str
    claims: list[Claim]
    origin: str  # "sample" or "multiclaim"
    published: dt.date | None = None
    country: str | None = None  # ISO 3166 alpha-2
    non_counts: list[NonCount] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimMutation:
    """One mutated extraction: ``claims`` with one change, the leaf to grade and the verdict it should get."""

    kind: str
    claims: list[Claim]
    path: str  # the graded leaf: "claims[1].attribution.claimant"
    expected: str  # "misattached" or "unsupported"
    claim_index: int
    changed: tuple[str, ...]  # every leaf the mutation changed, ``path`` first
    note: str = ""


@dataclass(frozen=True, slots=True)
class Leaf:
    """One gold leaf a grounder checks, with its field kind (for false positives per kind)."""

    path: str
    kind: str
    value: Any


def load_multiclaim(path: Path = DATA) -> list[Source]:
    """The multi-claim texts with their gold and their hand annotations."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        out.append(Source(
            id=rec["id"], text=rec["text"], claims=[Claim.model_validate(c) for c in rec["claims"]],
            origin="multiclaim", published=dt.date.fromisoformat(rec["published"]) if rec.get("published") else None,
            country=rec.get("country"), non_counts=[NonCount(**n) for n in rec.get("non_counts", [])],
            references=[Reference(**r) for r in rec.get("references", [])],
        ))
    return out


def load_samples(root: Path = EXAMPLES) -> list[Source]:
    """The sample articles and their gold; numbers and reference points found by this module's rules."""
    out = []
    for path in sorted((root / "gold").glob("*.json")):
        result = ExtractionResult.model_validate_json(path.read_text(encoding="utf-8"))
        text = (root / "articles" / f"{path.stem}.txt").read_text(encoding="utf-8")
        out.append(Source(id=path.stem, text=text, claims=list(result.claims), origin="sample",
                          published=result.published, country="SY", non_counts=find_non_counts(text),
                          references=find_references(text)))
    return out


def all_sources() -> list[Source]:
    return load_samples() + load_multiclaim()


# ----------------------------------------------------------------------------- text rules (the generator's own)


def fold(s: str) -> str:
    """Lower case, no diacritics or apostrophes, hyphens and runs of space as one space."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"['’]s\b", "", s)  # possessive: "Syria’s" is "Syria"
    s = re.sub(r"['’‘`ʿʾ]", "", s)
    return re.sub(r"[\s\-‐–]+", " ", s).strip()


_LEADING = re.compile(r"^(?:the|a|an|so called)\s+")


def party_key(s: str) -> str:
    """A name folded, without a leading article: "The Syrian Observatory" -> "syrian observatory"."""
    key = fold(s)
    while True:
        stripped = _LEADING.sub("", key)
        if stripped == key:
            return key
        key = stripped


# The samples' parties under the several names their articles give them (DOMAIN.md lists them).
_SAME_PARTY = {
    "sohr": ("syrian observatory for human rights", "observatory", "britain based observatory", "monitoring group",
             "britain based monitoring group", "sohr"),
    "sana": ("sana", "syrian arab news agency", "syria official news agency"),
    "coalition": ("us led coalition", "coalition", "coalition led by the united states", "us led military alliance",
                  "military alliance"),
    "syrian mfa": ("syria ministry of foreign affairs and expatriates",
                   "syrian ministry of foreign affairs and expatriates", "syrian foreign ministry", "ministry"),
}
_PARTY_GROUP = {name: group for group, names in _SAME_PARTY.items() for name in names}


def _contains_words(big: str, small: str) -> bool:
    return bool(small) and re.search(r"(?<!\w)" + re.escape(small) + r"(?!\w)", big) is not None


# Words that name a weapon, a means or a kind of unit, not a party: "a Houthi drone" and "a Houthi missile" are one
# party (the Houthis); "Russian artillery" and "Russian troops" too.
_MEANS_WORDS = frozenset("""
    air aircraft ambush armed army artillery attack bomb bomber bombs border car drone drones explosives fighters fire
    forces glide guards gunmen helicopters jets militants military missile missiles mortar mortars rocket rockets
    shelling snipers soldiers strike strikes suicide tank troops truck warplanes and
""".split())


def party_core(name: str) -> str:
    """A party's name without weapon and unit words: "an Islamic State suicide bomber" -> "islamic state"."""
    return " ".join(w for w in party_key(name).split() if w not in _MEANS_WORDS)


def same_name(a: str | None, b: str | None) -> bool:
    """Whether two names may name one party or place (equal folded, one inside the other, one alias group,
    or one party named with two weapons)."""
    if a is None or b is None:
        return False
    ka, kb = party_key(a), party_key(b)
    if ka == kb or _contains_words(ka, kb) or _contains_words(kb, ka):
        return True
    ca, cb = party_core(a), party_core(b)
    if ca and cb and (ca == cb or _contains_words(ca, cb) or _contains_words(cb, ca)):
        return True
    ga, gb = _PARTY_GROUP.get(ka), _PARTY_GROUP.get(kb)
    return ga is not None and ga == gb


_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: a line break, or . ! ? then space then a capital, a digit or a quote."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        cuts = [m.end() for m in _SENTENCE_END.finditer(line.group(0))]
        for cut in [*cuts, len(line.group(0))]:
            s, e = start, line.start() + cut
            piece = text[s:e]
            lead, trail = len(piece) - len(piece.lstrip()), len(piece) - len(piece.rstrip())
            if e - trail > s + lead:
                out.append((s + lead, e - trail))
            start = e
    return out


def _sentence_of(sents: list[tuple[int, int]], pos: int) -> int | None:
    for k, (s, e) in enumerate(sents):
        if s <= pos < e:
            return k
    return None


def _find_all(text: str, phrase: str) -> list[int]:
    if not phrase:
        return []
    return [m.start() for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text)]


def evidence_spans(text: str, claim: Claim) -> list[tuple[int, int]]:
    """Each evidence quote's span: its offsets when they hold the quote, else its first occurrence."""
    out = []
    for ev in claim.evidence:
        if ev.start is not None and ev.end is not None and text[ev.start:ev.end] == ev.quote:
            out.append((ev.start, ev.end))
        else:
            pos = text.find(ev.quote)
            if pos >= 0:
                out.append((pos, pos + len(ev.quote)))
    return out


def claim_scope(text: str, claim: Claim, sents: list[tuple[int, int]] | None = None) -> list[int]:
    """Issue 10's claim scope, as sentence numbers: evidence and count-phrase sentences, and the one before each."""
    sents = sentences(text) if sents is None else sents
    spans = evidence_spans(text, claim)
    core: set[int] = set()
    for s, e in spans:
        core.update(k for k, (a, b) in enumerate(sents) if a < e and s < b)
    for f in COUNT_FIELDS:
        count: Count | None = getattr(claim, f)
        if count is None:
            continue
        hits = _find_all(text, count.phrase)
        inside = [p for p in hits if any(s <= p < e for s, e in spans)]
        for p in inside or hits:
            k = _sentence_of(sents, p)
            if k is not None:
                core.add(k)
    return sorted(core | {k - 1 for k in core if k > 0})


def _masked(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        chars[s:e] = ["\x00"] * (e - s)
    return "".join(chars)


def occurs_in(value: str, text: str, sents: list[tuple[int, int]], scope: Iterable[int],
              masked: Iterable[tuple[int, int]] = ()) -> bool:
    """Whether ``value`` (folded, without a leading article) is written in the scope's sentences."""
    key = party_key(value)
    if not key:
        return False
    pattern = re.compile(r"(?<!\w)" + re.escape(key) + r"(?!\w)")
    body = _masked(text, masked)
    return any(pattern.search(fold(body[sents[k][0]:sents[k][1]])) for k in scope)


# --- numbers -------------------------------------------------------------------------------------------------

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
             "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
             "twentieth": 20}
_WORD = r"(?:(?:" + "|".join(_TENS) + r")(?:-(?:" + "|".join(_UNITS) + r"))?|" + "|".join(_UNITS) + r")"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)"
_MONTH = (r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
          r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)")


def number_value(s: str) -> int | None:
    """'1,216' -> 1216, 'twenty-three' -> 23, 'third' -> 3, '7th' -> 7; None if it is not one number."""
    t = s.strip().lower()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+", t):
        return int(t.replace(",", ""))
    m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)", t)
    if m:
        return int(m.group(1))
    if t in _ORDINALS:
        return _ORDINALS[t]
    if t in _UNITS:
        return _UNITS[t]
    m = re.fullmatch(r"(" + "|".join(_TENS) + r")(?:-(" + "|".join(_UNITS) + r"))?", t)
    if m:
        return _TENS[m.group(1)] + (_UNITS[m.group(2)] if m.group(2) else 0)
    return None


def numerals(text: str) -> list[tuple[int, int, int]]:
    """Every cardinal numeral (digits, number words, "a dozen"), as (start, end, value)."""
    out = []
    for m in re.finditer(r"(?<![\w.,:])" + _NUM + r"(?![\w]|[.,:]\d)", text):
        out.append((m.start(), m.end(), int(m.group(0).replace(",", ""))))
    for m in re.finditer(r"\b" + _WORD + r"\b", text, re.I):
        value = number_value(m.group(0))
        if value is not None:
            out.append((m.start(), m.end(), value))
    for m in re.finditer(r"\ba dozen\b", text, re.I):
        out.append((m.start(), m.end(), 12))
    return sorted(out)


# (role, pattern, group holding the number); earlier rules win where two overlap.
_NON_COUNT_RULES: list[tuple[str, re.Pattern[str], int]] = [
    ("year", re.compile(r"\b((?:19|20)\d\d)-\d\d-\d\d\b"), 1),  # an ISO date: its year
    ("phone", re.compile(r"(?<![\w+])\+?\d{2,4}(?:[ -]\d{2,4}){2,4}(?![\w-])"), 0),
    ("day", re.compile(r"\b" + _MONTH + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!,\d)"), 1),
    ("day", re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b"), 1),
    ("year", re.compile(r"(?<![\w,.$€£])((?:1[89]\d|20[0-4])\d)(?!\w|[,.]\d)"), 1),
    ("age", re.compile(r"\b(" + _NUM + r"|" + _WORD + r")[- ](?:year|month|week|day)s?[- ]old\b", re.I), 1),
    ("age", re.compile(r"\b(" + _NUM + r") (?:year|month)s? old\b", re.I), 1),
    ("age", re.compile(r"\baged (\d{1,3})\b"), 1),
    ("age", re.compile(r"\baged \d{1,3} and (\d{1,3})\b"), 1),
    ("age", re.compile(r"(?<=[a-z]), (\d{1,3}),(?= [a-z])"), 1),
    ("percent", re.compile(r"\b(\d+(?:\.\d+)?)\s*(?:percent|per cent|%)", re.I), 1),
    ("money", re.compile(r"[$€£]\s?(" + _NUM + r")"), 1),
    ("money", re.compile(r"\b(" + _NUM + r")\s+(?:million\s+|billion\s+)?(?:dollars|US dollars|euros|pounds|"
                         r"Syrian pounds|Sudanese pounds|riyals|rials|dinars|naira|hryvnias|afghanis|shillings|"
                         r"kyat|CFA francs|francs)\b", re.I), 1),
    ("measure", re.compile(r"\b(" + _NUM + r"|" + _WORD + r")(?:\.\d+)?\s*(?:km|kilomet(?:er|re)s?|miles?|"
                           r"met(?:er|re)s?|kg|kilograms?|tons?|tonnes?|litres?|liters?|hectares?)\b", re.I), 1),
    ("duration", re.compile(r"\b(" + _NUM + r"|" + _WORD + r")\s+(?:minutes|hours|days|weeks|months|years|decades)\b"
                            r"(?![- ]old)", re.I), 1),
    ("time", re.compile(r"\b(\d{1,2}):\d{2}\b"), 1),
    ("designator", re.compile(r"\b(?:Resolution|Highway|Route|Road|Flight|Building|Page|Block|Gate|Sector|"
                              r"Camp|Zone|Article|Platform|Ward|Checkpoint|Bridge|Line|Unit|Channel)\s+"
                              r"(?:No\s+)?(\d+)\b"), 1),
    ("ordinal", re.compile(r"\b(\d+(?:st|nd|rd|th))\b"), 1),
    ("ordinal", re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b", re.I), 1),
    ("things", re.compile(r"\b(" + _NUM + r"|" + _WORD + r"|a dozen)\s+(?:[a-z]+\s+)??(?:missiles|rockets|"
                          r"shells|mortar rounds|drones|bombs|barrel bombs|houses|homes|shops|buildings|vehicles|"
                          r"trucks|cars|buses|tanks|raids|strikes|air ?strikes|villages|schools|mosques|churches|"
                          r"hospitals|clinics|tents|boats|aircraft|helicopters|warplanes|checkpoints|bridges|wells|ambulances|"
                          r"bulldozers|generators|mines|landmines|motorcycles|motorbikes)"
                          r"\b", re.I), 1),
]


def find_non_counts(text: str) -> list[NonCount]:
    """Numbers that do not count people, by this module's rules (no grounding-layer code)."""
    taken: list[tuple[int, int]] = []
    out: list[NonCount] = []
    for role, pattern, group in _NON_COUNT_RULES:
        for m in pattern.finditer(text):
            s, e = m.span(group)
            whole = m.span(0)
            if any(a < e and s < b for a, b in taken):
                continue
            if role == "phone" and any(a < whole[1] and whole[0] < b for a, b in taken):
                continue
            raw = m.group(group)
            if role == "phone":
                groups = re.findall(r"\d+", raw)
                value: int | None = int(groups[len(groups) // 2])
            else:
                value = number_value(raw.split(".")[0])
            if value is None:
                continue
            out.append(NonCount(role, raw, s, e, value))
            # a phone number, a sum of money, a measure... owns all its digits; a date or an age only its number
            taken.append(whole if role in ("phone", "money", "percent", "measure", "designator", "time") else (s, e))
    return sorted(out, key=lambda n: n.start)


_DIRECTION = r"(?:north|south|east|west)(?:[- ]?(?:east|west))?(?:ern)?"
_NAME = (r"(?:(?:al|el|ad|ar|as|ash|at|az|ez|an)-)?[A-Z][\w'’‘ʿ]*(?:-[A-Z][\w'’‘ʿ]*)*"
         r"(?:\s+(?:(?:al|el|ad|ar|as|ash|at|az|ez|an)-)?[A-Z][\w'’‘ʿ]*(?:-[A-Z][\w'’‘ʿ]*)*"
         r"|\s+(?:al|el|ez|az|ad|ar|as|ash|at|an|bin|ibn)[- ][A-Z][\w'’‘ʿ]*)*")
_REFERENCE = re.compile(
    r"(?:\b" + _NUM + r"(?:\.\d+)?\s*(?:km|kilomet(?:er|re)s?|miles?|met(?:er|re)s?)\s+(?:(?:from|outside)\b|"
    + _DIRECTION + r"\s+(?:of|from)\b)|\b" + _DIRECTION + r"\s+of\b)"
    r"\s+(?:the\s+)?(?:(?:provincial|regional|state|district)\s+)?(?:(?:capital|city|town|village)(?:\s+city)?"
    r"(?:\s+of)?\s+)?(?P<name>" + _NAME + r")"
)


def find_references(text: str) -> list[Reference]:
    """Places named as reference points: "N km <direction> of X", "N km from X", "<direction> of X"."""
    out = []
    for m in _REFERENCE.finditer(text):
        name = m.group("name")
        if name.lower() in {"the", "a"}:
            continue
        s = m.start("name")
        out.append(Reference(name, s, s + len(name)))
    return out


# ----------------------------------------------------------------------------- mutations


def _copy(claims: list[Claim]) -> list[Claim]:
    return [c.model_copy(deep=True) for c in claims]


def _count_leaf(field_name: str, count: Count) -> str:
    return f"{field_name}.{'low' if count.low is not None else 'high'}"


def _count_leaves(field_name: str, count: Count | None) -> list[str]:
    if count is None:
        return []
    return [f"{field_name}.{k}" for k in ("phrase", "low", "high") if getattr(count, k) is not None]


def _bounds(count: Count) -> tuple[int | None, int | None]:
    return count.low, count.high


_Getter = Callable[[Claim], Any]
_SWAPS: dict[str, tuple[_Getter, str, tuple[str, ...]]] = {
    "claimant_swap": (lambda c: c.attribution.claimant, "attribution.claimant", ()),
    "place_swap": (lambda c: c.place, "place.phrase", ("place.name", "place.province", "place.country")),
    "date_swap": (lambda c: c.date, "date.phrase", ("date.date", "date.precision")),
    "perpetrator_swap": (lambda c: c.perpetrator, "perpetrator", ()),
}


def _swap_text(value: Any) -> str | None:
    """The words a swapped value is written with (a place's phrase, a date's phrase)."""
    if value is None or isinstance(value, str):
        return value
    return getattr(value, "phrase", None)


def _same_value(kind: str, own: Any, donor: Any) -> bool:
    if own is None:
        return False
    if kind == "date_swap" and own.date is not None and own.date == donor.date:
        return True  # "on Monday" and "on January 1" may be one day
    if kind == "place_swap":
        if own.name and donor.name and same_name(own.name, donor.name):
            return True
        # the donor is the province or country the claim's place lies in: coarser, not another place
        if any(same_name(x, y) for x in (own.province, own.country) for y in (donor.phrase, donor.name)):
            return True
    return same_name(_swap_text(own), _swap_text(donor))


def _set(claim: Claim, kind: str, value: Any) -> None:
    if kind == "claimant_swap":
        claim.attribution.claimant = value
    elif kind == "place_swap":
        claim.place = value.model_copy(deep=True)
    elif kind == "date_swap":
        claim.date = value.model_copy(deep=True)
    else:
        claim.perpetrator = value


def _changed_leaves(kind: str, main: str, extra: tuple[str, ...], own: Any, donor: Any) -> tuple[str, ...]:
    out = [main]
    for leaf in extra:
        attr = leaf.split(".")[1]
        if getattr(donor, attr, None) != (getattr(own, attr, None) if own is not None else None):
            out.append(leaf)
    return tuple(out)


class _Article:
    """The generator's view of one article: sentences, scopes, numbers that may count people."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.sents = sentences(source.text)
        self.scopes = [claim_scope(source.text, c, self.sents) for c in source.claims]
        self.non_counts = source.non_counts or find_non_counts(source.text)
        self.references = source.references or find_references(source.text)
        non_count_spans = [(n.start, n.end) for n in self.non_counts]
        # figures that may count people: gold counts, and every numeral outside a non-count number
        self.people_values: set[int] = set()
        for c in source.claims:
            for f in COUNT_FIELDS:
                count = getattr(c, f)
                if count is not None:
                    self.people_values.update(v for v in (count.low, count.high) if v is not None)
        for s, e, v in numerals(source.text):
            if not any(a <= s and e <= b for a, b in non_count_spans):
                self.people_values.add(v)

    def in_scope(self, i: int, start: int) -> bool:
        k = _sentence_of(self.sents, start)
        return k is not None and k in self.scopes[i]

    def occurs(self, i: int, value: str, masked: Iterable[tuple[int, int]] = ()) -> bool:
        return occurs_in(value, self.text, self.sents, self.scopes[i], masked)

    def stated_elsewhere(self, i: int, value: int, phrase_spans: list[tuple[int, int]]) -> bool:
        """Whether ``value`` is written in claim i's scope other than at the given phrase or a non-count number."""
        skip = phrase_spans + [(n.start, n.end) for n in self.non_counts]
        for s, e, v in numerals(self.text):
            if v == value and self.in_scope(i, s) and not any(a <= s and e <= b for a, b in skip):
                return True
        return False

    def phrase_spans(self, i: int, phrase: str) -> list[tuple[int, int]]:
        return [(p, p + len(phrase)) for p in _find_all(self.text, phrase) if self.in_scope(i, p)]


def _swaps(art: _Article) -> list[ClaimMutation]:
    out = []
    claims = art.source.claims
    for kind, (get, main, extra) in _SWAPS.items():
        for i, recipient in enumerate(claims):
            for j, donor_claim in enumerate(claims):
                donor = get(donor_claim)
                if i == j or donor is None or _swap_text(donor) is None:
                    continue
                own = get(recipient)
                if _same_value(kind, own, donor) or art.occurs(i, _swap_text(donor)):
                    continue
                if kind == "place_swap" and donor.name and art.occurs(i, donor.name):
                    continue
                new = _copy(claims)
                _set(new[i], kind, donor)
                changed = _changed_leaves(kind, main, extra, own, donor)
                out.append(ClaimMutation(kind, new, f"claims[{i}].{main}", "misattached", i,
                                         tuple(f"claims[{i}].{leaf}" for leaf in changed),
                                         f"{_swap_text(own)!r} -> {_swap_text(donor)!r} (claim {j})"))
    return out


def _role_swaps(art: _Article) -> list[ClaimMutation]:
    out = []
    for i, claim in enumerate(art.source.claims):
        pairs = [("killed_injured_swap", "killed", "injured")]
        pairs += [("breakdown_total_swap", "killed", b) for b in BREAKDOWNS]
        for kind, a, b in pairs:
            ca, cb = getattr(claim, a), getattr(claim, b)
            if ca is None or cb is None or _bounds(ca) == _bounds(cb):
                continue
            # each side's new figure must be stated in the scope only by the other side's phrase
            if any(art.stated_elsewhere(i, v, art.phrase_spans(i, src.phrase))
                   for src in (ca, cb) for v in {src.low, src.high} - {None}):
                continue
            new = _copy(art.source.claims)
            setattr(new[i], a, cb.model_copy())
            setattr(new[i], b, ca.model_copy())
            changed = [f"claims[{i}].{leaf}" for leaf in _count_leaves(a, cb) + _count_leaves(b, ca)]
            for graded, was, now in ((a, ca, cb), (b, cb, ca)):
                path = f"claims[{i}].{_count_leaf(graded, now)}"
                rest = tuple(p for p in changed if p != path)
                out.append(ClaimMutation(kind, new, path, "misattached", i, (path, *rest),
                                         f"{graded}: {was.phrase!r} -> {now.phrase!r}"))
    return out


def _non_count_mutations(art: _Article, rng: random.Random) -> list[ClaimMutation]:
    out = []
    for i, claim in enumerate(art.source.claims):
        fields = [f for f in COUNT_FIELDS if getattr(claim, f) is not None]
        if not fields:
            continue
        for n in art.non_counts:
            if not art.in_scope(i, n.start) or n.value in art.people_values:
                continue
            target = rng.choice(fields)
            new = _copy(art.source.claims)
            setattr(new[i], target, Count(phrase=n.text, low=n.value, high=n.value))
            path = f"claims[{i}].{target}.low"
            out.append(ClaimMutation(f"{n.role}_as_count", new, path, "unsupported", i,
                                     (path, f"claims[{i}].{target}.high", f"claims[{i}].{target}.phrase"),
                                     f"{target}: {getattr(claim, target).phrase!r} -> {n.text!r} ({n.role})"))
    return out


def _reference_mutations(art: _Article) -> list[ClaimMutation]:
    out = []
    ref_spans = [(r.start, r.end) for r in art.references]
    for i, claim in enumerate(art.source.claims):
        seen: set[str] = set()
        for r in art.references:
            key = party_key(r.phrase)
            if key in seen or not art.in_scope(i, r.start):
                continue
            if claim.place is not None and any(same_name(x, r.phrase) for x in (
                    claim.place.phrase, claim.place.name, claim.place.province, claim.place.country)):
                continue
            if art.occurs(i, r.phrase, masked=ref_spans):
                continue  # the scope also names it as a place of the event
            seen.add(key)
            new = _copy(art.source.claims)
            own = claim.place
            new[i].place = Place(phrase=r.phrase, name=r.phrase, province=own.province if own else None,
                                 country=own.country if own else None)
            path = f"claims[{i}].place.phrase"
            out.append(ClaimMutation("reference_place", new, path, "misattached", i, (path, f"claims[{i}].place.name"),
                                     f"{own.phrase if own else None!r} -> {r.phrase!r} "
                                     f"({art.text[max(0, r.start - 30):r.end]!r})"))
    return out


def mutate(source: Source, seed: int = 0) -> list[ClaimMutation]:
    """Every claim-level mutation of one article's gold, in KINDS order within each generator."""
    art = _Article(source)
    rng = random.Random(f"{seed}:{source.id}")
    return _swaps(art) + _role_swaps(art) + _non_count_mutations(art, rng) + _reference_mutations(art)


# ----------------------------------------------------------------------------- unmutated leaves


def field_kind(path: str) -> str:
    """The field kind of a leaf path: "claims[0].killed.low" -> "killed", "...place.province" -> "province"."""
    parts = re.sub(r"\[\d+\]", "", path).split(".")
    tail = parts[1:] if parts and parts[0] == "claims" else parts
    if not tail:
        return "other"
    head = tail[0]
    if head == "attribution" and len(tail) > 1:
        return {"claimant": "claimant", "relays": "relay", "outlet": "outlet"}.get(tail[1], "other")
    if head == "place" and len(tail) > 1:
        return {"phrase": "place", "name": "place", "province": "province", "country": "country"}.get(tail[1], "other")
    if head == "date":
        return "date"
    if head in COUNT_FIELDS:
        if len(tail) > 1 and tail[1] == "phrase":
            return "count_phrase"
        return "breakdown" if head in BREAKDOWNS else head
    if head == "evidence":
        return "quote"
    return head


def unmutated_leaves(claims: list[Claim]) -> list[Leaf]:
    """Every gold leaf a grounder checks (strings, counts, dates, quotes), with its field kind."""
    out: list[Leaf] = []

    def add(path: str, value: Any) -> None:
        if value is not None:
            out.append(Leaf(path, field_kind(path), value))

    for i, c in enumerate(claims):
        p = f"claims[{i}]"
        add(f"{p}.attribution.claimant", c.attribution.claimant)
        for k, relay in enumerate(c.attribution.relays):
            add(f"{p}.attribution.relays[{k}]", relay)
        add(f"{p}.attribution.outlet", c.attribution.outlet)
        if c.date is not None:
            add(f"{p}.date.phrase", c.date.phrase)
            add(f"{p}.date.date", c.date.date)
        if c.place is not None:
            for attr in ("phrase", "name", "province", "country"):
                add(f"{p}.place.{attr}", getattr(c.place, attr))
        add(f"{p}.perpetrator", c.perpetrator)
        for f in COUNT_FIELDS:
            count = getattr(c, f)
            if count is not None:
                for attr in ("phrase", "low", "high"):
                    add(f"{p}.{f}.{attr}", getattr(count, attr))
        for k, ev in enumerate(c.evidence):
            add(f"{p}.evidence[{k}].quote", ev.quote)
    return out


# ----------------------------------------------------------------------------- counting and grading


def count_kinds(sources: list[Source], seed: int = 0) -> dict[str, Counter[str]]:
    """Mutations per kind and origin ("sample", "multiclaim", "articles" = how many articles gave one)."""
    counts: dict[str, Counter[str]] = {k: Counter() for k in KINDS}
    for src in sources:
        seen = set()
        for m in mutate(src, seed):
            counts[m.kind][src.origin] += 1
            seen.add(m.kind)
        for kind in seen:
            counts[kind]["articles"] += 1
    return counts


def grade(sources: list[Source], seed: int = 0) -> dict[str, Any]:
    """Ground every mutation and every unmutated gold with ``llmextract.grounding.ground``: recall per kind,
    the verdicts given, and false positives per field kind."""
    from llmextract.grounding import ground
    from llmextract.schema import Article, ClaimList

    recall: dict[str, Counter[str]] = defaultdict(Counter)
    verdicts: dict[str, Counter[str]] = defaultdict(Counter)
    misses: dict[str, list[str]] = defaultdict(list)
    fp: dict[str, Counter[str]] = defaultdict(Counter)
    fp_examples: list[str] = []
    for src in sources:
        article = Article(text=src.text, id=src.id, published=src.published)
        report = ground(ClaimList(claims=src.claims), article)
        by_path = {f.path: f for f in report.findings}
        for leaf in unmutated_leaves(src.claims):
            f = by_path.get(leaf.path)
            fp[leaf.kind]["leaves"] += 1
            if f is not None and caught(f.verdict.value):
                fp[leaf.kind]["flagged"] += 1
                if len(fp_examples) < 40:
                    fp_examples.append(f"{src.id} {leaf.path}={leaf.value!r}: {f.verdict.value} {f.reason[:140]}")
        for m in mutate(src, seed):
            rep = ground(ClaimList(claims=m.claims), article)
            f = next((x for x in rep.findings if x.path == m.path), None)
            verdict = f.verdict.value if f is not None else None
            hit = caught(verdict)
            recall[m.kind]["n"] += 1
            recall[m.kind][src.origin] += 1
            recall[m.kind]["caught"] += hit
            recall[m.kind]["expected_verdict"] += verdict == m.expected
            verdicts[m.kind][verdict or "no finding"] += 1
            if not hit and len(misses[m.kind]) < 6:
                misses[m.kind].append(f"{src.id} {m.path} {m.note}: {verdict or '-'} "
                                      f"{(f.reason[:120] if f is not None else '')}")
    rows = {}
    for kind in KINDS:
        r = recall[kind]
        rows[kind] = {
            "mutations": r["n"], "from_samples": r["sample"], "from_multiclaim": r["multiclaim"],
            "recall": round(r["caught"] / r["n"], 4) if r["n"] else None,
            "expected_verdict_rate": round(r["expected_verdict"] / r["n"], 4) if r["n"] else None,
            "required": kind in REQUIRED_KINDS,
            "verdicts": dict(verdicts[kind].most_common()),
            "misses": misses[kind],
        }
    fp_rows = {k: {"leaves": c["leaves"], "flagged": c["flagged"],
                   "false_positive_rate": round(c["flagged"] / c["leaves"], 4) if c["leaves"] else None}
               for k, c in sorted(fp.items())}
    return {"mutations": rows, "false_positives_unmutated_gold": fp_rows, "false_positive_examples": fp_examples}


def _print_counts(counts: dict[str, Counter[str]]) -> None:
    print(f"{'kind':<24} {'total':>6} {'samples':>8} {'multiclaim':>10} {'articles':>8}  required")
    for kind, c in counts.items():
        total = c["sample"] + c["multiclaim"]
        flag = ("yes, short of 100" if total < 100 else "yes") if kind in REQUIRED_KINDS else "-"
        print(f"{kind:<24} {total:>6} {c['sample']:>8} {c['multiclaim']:>10} {c['articles']:>8}  {flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ground", type=Path, default=None, metavar="OUT",
                        help="grade every mutation with the grounder and write the figures to OUT (JSON)")
    parser.add_argument("--label", default=None, help="which grounder was run (recorded in OUT), e.g. a commit")
    args = parser.parse_args()
    sources = all_sources()
    counts = count_kinds(sources, args.seed)
    print(f"{sum(s.origin == 'sample' for s in sources)} sample articles, "
          f"{sum(s.origin == 'multiclaim' for s in sources)} multi-claim texts, "
          f"{sum(len(s.claims) for s in sources)} gold claims")
    _print_counts(counts)
    if args.ground is None:
        return
    res = grade(sources, args.seed)
    print(f"\n{'kind':<24} {'n':>6} {'recall':>7} {'as expected':>12}  verdicts")
    for kind, row in res["mutations"].items():
        rate = "-" if row["recall"] is None else f"{row['recall']:.4f}"
        exp = "-" if row["expected_verdict_rate"] is None else f"{row['expected_verdict_rate']:.4f}"
        shown = ", ".join(f"{k} {v}" for k, v in row["verdicts"].items())
        print(f"{kind:<24} {row['mutations']:>6} {rate:>7} {exp:>12}  {shown}")
    print("\nfalse positives on unmutated gold, per field kind:")
    for kind, row in res["false_positives_unmutated_gold"].items():
        print(f"  {kind:<14} {row['flagged']:>4} of {row['leaves']:>5}")
    out = {
        "benchmark": "claim-level mutations (issue 10), graded by the grounder as it is",
        "command": f"python benchmarks/claim_mutations.py --ground {args.ground} --seed {args.seed}",
        "seed": args.seed,
        "sample_articles": sum(s.origin == "sample" for s in sources),
        "multiclaim_texts": sum(s.origin == "multiclaim" for s in sources),
        "gold_claims": sum(len(s.claims) for s in sources),
        "grounder": args.label,
        **res,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    args.ground.parent.mkdir(parents=True, exist_ok=True)
    args.ground.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"wrote {args.ground}")


if __name__ == "__main__":
    main()
