"""Names in news text: every mention found with its offsets, and how a model's string matches one.

``find_names(text)`` returns every name mention (places, organisations, people) with char
offsets into ``text``, using the alias table (:mod:`llmextract.text.aliases`) and the gazetteer
(:mod:`llmextract.text.gazetteer`); ``match_name(candidate, target)`` says how a model's string
matches a mention: exactly, after folding (:mod:`llmextract.text.folding`), by alias, or fuzzily.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from llmextract.text.aliases import _alias_key, _aliases, _cs_alias, canonical_alias
from llmextract.text.folding import _ARABIC_CHAR, _skeleton_match, fold, skeleton
from llmextract.text.gazetteer import Gazetteer, GazetteerEntry, _strip_generic, get_gazetteer

log = logging.getLogger(__name__)

# The one import for everything about names: finding and matching here, plus the folding, alias and
# gazetteer functions callers need beside them.
__all__ = ["NameMention", "canonical_alias", "find_names", "fold", "get_gazetteer", "match_name", "skeleton"]


# --------------------------------------------------------------------------------------------
# Mentions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameMention:
    """One name in the text; ``text[start:end] == mention.text``."""

    start: int
    end: int
    text: str
    kind: str  # "place" | "org" | "person" | "other"
    canonical: str | None


def _upper_class() -> str:
    chars = [chr(c) for c in range(0x41, 0x250) if chr(c).isupper()]
    chars += [chr(c) for c in range(0x1E00, 0x1F00) if chr(c).isupper()]
    return "".join(chars)


_UP = f"[{_upper_class()}]"
_W = r"[\w\u0300-\u036f]"
_JOIN = "[-‐‑'’ʼʿʾ‘`]"
_PREFIX = r"(?:(?:al|el|ez|es|ad|ar|as|ash|az|at|an|ul|ed|ud|adh|ath|ech|esh|er|en|et)[-‐‑])"
_CAPWORD = f"{_PREFIX}?{_UP}{_W}*(?:{_JOIN}{_W}+)*"
_CONNECTORS = ("of", "for", "the", "and", "de", "del", "du", "des", "da", "do", "dos", "das", "di", "la", "le",
               "van", "von", "bin", "ibn", "al", "el", "ez", "es", "ash", "az", "ad", "ar", "ud", "ul", "ed", "er",
               "en", "esh", "ech")
_CONN = "(?:" + "|".join(_CONNECTORS) + ")"
# A run starts at an uppercase letter (a charset the regex engine scans for fast); a lowercase
# article glued before it ("al-Buqa'an") is taken back in by :func:`find_names` (_PREFIX_BEFORE).
_RUN = re.compile(rf"{_UP}(?<![\w'’‘ʼ`].){_W}*(?:{_JOIN}{_W}+)*"
                  rf"(?:[ \u00a0]+(?:{_CONN}[ \u00a0]+){{0,3}}{_CAPWORD})*")
_PREFIX_BEFORE = re.compile(rf"(?<![\w'’‘ʼ`-]){_PREFIX}$")
_CONNECTOR_SET = frozenset(_CONNECTORS)
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"\S+")
_AR = r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+"
_ARABIC_RUN = re.compile(rf"{_AR}(?:[ \u00a0]{_AR})*")
_HYPHEN_SUFFIX = re.compile(
    r"[-‐‑](?:led|backed|based|born|run|linked|allied|aligned|affiliated|funded|supported|owned|held|"
    r"controlled|sponsored|made|bound|wide|style|era|ruled|dominated|brokered|trained|armed)$",
    re.IGNORECASE,
)

_MONTHS_DAYS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
# Capitalised function words: never part of a name, wherever they stand.
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "but", "or", "nor", "for", "of", "in", "on", "at", "to", "from", "by", "with",
    "without", "into", "onto", "over", "under", "against", "after", "before", "since", "until", "during",
    "about", "as", "than", "then", "so", "if", "is", "are", "was", "were", "be", "been", "has", "have", "had",
    "will", "would", "can", "could", "should", "may", "might", "must", "not", "no", "it", "its", "he", "she",
    "they", "we", "i", "his", "her", "their", "our", "this", "that", "these", "those", "there", "here",
    "again", "also", "amid", "among", "via", "per", "who", "what", "when", "where", "which", "why", "how",
    "all", "any", "both", "each", "more", "most", "some", "such", "very", "just", "only", "too", "up", "out",
    "off", "down", "near", "despite", "while", "whereas", "although", "though", "because", "whether",
})
# Words that start sentences (or headlines) without being names; dropped at the head of a run.
_LEADING_WORDS = _FUNCTION_WORDS | frozenset({
    "according", "earlier", "later", "last", "next", "meanwhile", "however", "furthermore", "moreover",
    "additionally", "separately", "elsewhere", "overall", "recently", "yesterday", "today", "tonight",
    "tomorrow", "local", "unidentified", "unknown", "suspected", "alleged", "armed", "gunmen", "militants",
    "police", "officials", "residents", "witnesses", "authorities", "security", "several", "many", "few",
    "dozens", "scores", "hundreds", "thousands", "millions", "tens", "other", "another", "others", "one",
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty",
    "fifty", "sixty", "seventy", "eighty", "ninety", "hundred", "first", "second", "third", "fourth", "fifth",
    "nearly", "almost", "around", "roughly", "approximately", "least", "over", "under", "some", "most", "every",
    "following", "despite", "once", "now", "still", "even", "yet", "already", "both", "either", "neither",
    "listen", "live", "get", "read", "watch", "photo", "image", "video", "source", "sources", "update",
    "updated", "breaking", "advertisement", "related", "share", "comments", "reportedly", "allegedly",
    "clashes", "fighting", "attackers", "attacks", "suicide", "twin", "heavy", "fresh", "new", "no",
    "unlike", "like", "further", "prior", "due", "regarding", "amid", "besides", "throughout", "nearby",
})
_TITLES = frozenset({
    "president", "minister", "secretary-general", "mr", "mrs", "ms", "dr", "sheikh", "shaikh", "governor",
    "commander", "colonel", "col", "lt", "lieutenant", "captain", "capt", "brigadier", "gen", "spokesman",
    "spokeswoman", "spokesperson", "ambassador", "envoy", "senator", "king", "prince", "emir", "mayor", "pope",
    "imam", "judge", "prosecutor", "chairman", "chairwoman",
})
_ORG_WORDS = frozenset({
    "ministry", "agency", "council", "forces", "force", "army", "observatory", "organization", "organisation",
    "office", "committee", "front", "party", "brigade", "brigades", "news", "tv", "radio", "network",
    "coalition", "group", "movement", "militia", "militias", "police", "union", "court", "government",
    "watch", "commission", "institute", "university", "authority", "department", "command", "corps", "guard",
    "guards", "battalion", "services", "service", "times", "post", "press", "online", "tribune", "media",
    "television", "channel", "alliance", "federation", "association", "foundation", "fund", "bank", "company",
    "parliament", "assembly", "senate", "cartel", "gang", "mission", "programme", "program", "hospital",
})
_PLACE_TAIL = frozenset({
    "area", "state", "province", "district", "county", "region", "governorate", "village", "town", "city",
    "camp", "river", "valley", "mountains", "mountain", "island", "islands", "lake", "desert",
    "countryside", "neighbourhood", "neighborhood", "municipality", "subdistrict", "lga", "plain", "plains",
})
_PLACE_HEAD = frozenset({"lake", "mount", "gulf", "cape", "port", "wadi", "jabal", "jebel", "jabel", "tell", "tal"})
_STRONG_NOUNS = frozenset({
    "village", "villages", "town", "towns", "city", "cities", "province", "provinces", "governorate",
    "governorates", "district", "districts", "region", "regions", "area", "areas", "settlement", "settlements",
    "neighbourhood", "neighborhood", "neighbourhoods", "neighborhoods", "suburb", "suburbs", "outskirts",
    "countryside", "capital", "county", "state", "municipality", "camp", "locality", "localities", "commune",
    "island", "hamlet", "subdistrict", "vicinity",
})
_DIRECTIONS = frozenset({
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest", "northern", "southern",
    "eastern", "western", "northeastern", "northwestern", "southeastern", "southwestern",
})
_WEAK_PREPS = frozenset({"in", "at", "near", "outside", "into", "across", "around", "toward", "towards", "from"})
_WEAK_ADJECTIVES = _DIRECTIONS | frozenset({
    "central", "besieged", "rebel-held", "government-held", "militant-held", "opposition-held", "neighbouring",
    "neighboring", "nearby", "restive", "troubled", "war-torn", "embattled", "remote", "rural", "downtown",
})
_PERSON_WORDS = frozenset({
    "president", "minister", "secretary-general", "spokesman", "spokeswoman", "spokesperson", "commander",
    "governor", "leader", "chief", "general", "gen.", "colonel", "col.", "sheikh", "mr", "mr.", "mrs", "mrs.",
    "ms", "ms.", "dr", "dr.", "ambassador", "envoy", "mayor", "imam", "prosecutor", "judge", "chairman",
})
_AND_CUE = re.compile(r"\b(province|provinces|governorate|governorates|village|villages|town|towns|city|cities)"
                      r"\s+of\s+(?:the\s+)?[^.;:]{1,80}?(?:,|\band\b(?:\s+of)?)\s+(?:the\s+)?$")


@dataclass(frozen=True, slots=True)
class _Cues:
    strong: str | None  # the noun of "village of", "province of" ... (or a direction: "north of")
    weak: bool  # "in", "near", "in eastern" ...
    person: bool  # "President", "spokesman" ...


def _cues(text: str, start: int) -> _Cues:
    """What the words just before ``start`` say about the name that starts there."""
    window = text[max(0, start - 60):start].lower()
    words = window.split()
    if not words:
        return _Cues(None, False, False)
    last = words[-1]
    person = last in _PERSON_WORDS or words[-2:] == ["secretary", "general"]
    core = words[:-1] if last == "the" else words
    strong = None
    if len(core) >= 2 and core[-1] == "of":
        noun = core[-2]
        if noun in _STRONG_NOUNS:
            strong = noun
        elif noun in _DIRECTIONS or (noun in ("part", "parts", "side", "edge") and len(core) >= 3
                                     and core[-3] in _DIRECTIONS):
            strong = "direction"
    elif last.endswith(",") or last in ("and", "of"):
        m = _AND_CUE.search(text[max(0, start - 120):start].lower())
        if m is not None:
            strong = m.group(1)
    weak = False
    if core:
        if core[-1] in _WEAK_PREPS:
            weak = True
        elif core[-1] in _WEAK_ADJECTIVES and len(core) >= 2:
            prev = core[-2:-1] if core[-2] != "the" else core[-3:-2]
            weak = bool(prev) and prev[0] in _WEAK_PREPS
    return _Cues(strong, weak, person)


_AFTER_CUE = re.compile(
    r"[ \u00a0]+(village|villages|town|city|province|provinces|governorate|governorates|district|region|"
    r"camp|countryside|area|areas|river|neighbou?rhood|suburb|locality|community|county|lga|state|"
    r"local\s+government\s+area)\b",
    re.IGNORECASE,
)
# Longest stem first: "nigeria-n", not "niger-ian".
_DEMONYM_SUFFIXES = ("n", "i", "an", "ic", "ian", "ean", "ese", "ish")
_GROUP_WORDS = frozenset({
    "arab", "arabs", "kurd", "kurds", "kurdish", "shiite", "shia", "shi'ite", "sunni", "muslim", "muslims",
    "christian", "christians", "jewish", "european", "african", "asian", "western", "islamist", "jihadist",
    "takfiri", "takfiris", "fulani", "hausa", "tuareg", "yazidi", "alawite", "druze", "baloch", "pashtun",
    "hazara", "rohingya", "uighur", "uyghur", "tiv", "berom", "dogon", "peul", "nuer", "dinka", "hutu", "tutsi",
    "latin", "caribbean", "sahelian", "balkan", "gulf", "islamic", "jihadi",
})
# Demonyms no suffix rule reaches, with their country.
_IRREGULAR_DEMONYMS = {
    "afghan": "AF", "afghans": "AF", "saudi": "SA", "saudis": "SA", "emirati": "AE", "filipino": "PH",
    "congolese": "CD", "british": "GB", "french": "FR", "dutch": "NL", "swiss": "CH", "greek": "GR",
    "danish": "DK", "swedish": "SE", "norwegian": "NO", "polish": "PL", "spanish": "ES", "finnish": "FI",
    "irish": "IE", "welsh": "GB", "scottish": "GB", "thai": "TH", "ivorian": "CI", "nigerien": "NE",
    "burkinabe": "BF", "peruvian": "PE", "uzbek": "UZ", "tajik": "TJ", "kazakh": "KZ", "turkmen": "TM",
    "azeri": "AZ", "yemenite": "YE", "somalis": "SO", "syrians": "SY", "iraqis": "IQ", "turkish": "TR",
    "kuwaiti": "KW", "omani": "OM", "bahraini": "BH", "malagasy": "MG", "sri lankan": "LK", "nepalese": "NP",
    "bangladeshi": "BD", "pakistani": "PK", "israeli": "IL", "palestinian": "PS", "ugandan": "UG",
    "chadian": "TD", "american": "US", "americans": "US",
}


@lru_cache(maxsize=4096)
def _demonym_country(word: str) -> str | None:
    """The country a demonym names ("syrian" -> "SY", "iraqi" -> "IQ"); "" for group words ("kurdish",
    "sunni"); None when ``word`` is not one ("beni", "bangui")."""
    if word in _IRREGULAR_DEMONYMS:
        return _IRREGULAR_DEMONYMS[word]
    if word in _GROUP_WORDS:
        return ""
    base = word[:-1] if word.endswith("s") and len(word) > 5 else word  # "Syrians"
    for suffix in _DEMONYM_SUFFIXES:
        if not base.endswith(suffix):
            continue
        stem = base[: -len(suffix)]
        if len(stem) < 4:
            continue
        found = [(len(name) - len(stem), cc) for name, cc in _country_names().items()
                 if name.startswith(stem) and len(name) - len(stem) <= 3 and name != base]
        if found:
            return min(found)[1]
    return None


def _is_demonym(word: str) -> bool:
    return _demonym_country(word) is not None


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Folded one-word names of countries (own names and the curated short forms) -> ISO code."""
    return {key: cc for key, cc in get_gazetteer().country_names().items() if " " not in key}


_PLAUSIBLE_POPULATION = 100_000
_ARABIC_STOPWORDS = frozenset({
    "في", "من", "إلى", "الى", "على", "عن", "إن", "أن", "ان", "قال", "قالت", "التي", "الذي", "هذا", "هذه", "ذلك",
    "بعد", "قبل", "مع", "حسب", "وفق", "وقال", "كان", "كانت", "يوم", "بين", "حيث", "منذ", "عند", "لقد", "قد", "ما",
    "لا", "لم", "لن", "هو", "هي", "هم", "نحو", "خلال", "أكثر", "أقل", "بلدة", "قرية", "مدينة", "محافظة", "ريف",
})
_WORD_START = re.compile(r"(?<![\w'’-])\w")
_CUE_PREFER = {
    "province": "province", "provinces": "province", "governorate": "province", "governorates": "province",
    "state": "province", "region": "province", "regions": "province",
    "village": "settlement", "villages": "settlement", "town": "settlement", "towns": "settlement",
    "city": "settlement", "cities": "settlement", "settlement": "settlement", "settlements": "settlement",
    "camp": "settlement", "municipality": "settlement", "hamlet": "settlement",
}


def _lowered(text: str) -> str:
    """``text.lower()`` with the same length (so offsets carry over): "İ" lowers to two chars."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@lru_cache(maxsize=16384)  # the same few hundred phrases ("Daesh", "US-led coalition") recur in every text
def _written_alias(written: str) -> str | None:
    """The canonical name of an alias phrase as the text writes it, or None when the writing breaks
    the alias's case rules ("is" is not IS)."""
    table = _aliases()
    canonical = table.ci.get(_alias_key(written))
    if canonical is None:
        canonical = _cs_alias(table, written)
    return canonical


def _alias_spans(text: str, lowered_text: str | None = None) -> list[tuple[int, int, str]]:
    """Alias phrases in ``text``: (start, end, canonical), non-overlapping. ``lowered_text``:
    :func:`~llmextract.text.caseless.lowered` of ``text``, when the caller has it (None: lowered here).

    The lowercased text is searched for the leftmost alias; a longer alias starting inside it
    wins ("the United Nations Office for the Coordination of Humanitarian Affairs" is OCHA, not
    the UN); an alias with case rules must keep them in the original ("IS", not "is").
    """
    table = _aliases()
    low = lowered_text if lowered_text is not None else _lowered(text)  # the same text when both lower it
    found: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = table.search.search(low, pos)
        if m is None:
            break
        start, end = m.span()
        if not low[start:end].isalnum():  # one word ("daesh") has no later word to start a longer alias
            for w in _WORD_START.finditer(low, start + 1, end):
                longer = table.search.match(low, w.start())
                if longer is not None and longer.end() > end and longer.end() - w.start() > end - start:
                    start, end = longer.span()
        canonical = _written_alias(text[start:end])
        if canonical is None:  # "is", "sana": not the acronym; look again from the next character
            pos = start + 1
            continue
        found.append((start, end, canonical))
        pos = end
    return found


def _overlaps(starts: list[int], blocked: list[tuple[int, int]], s: int, e: int) -> bool:
    """Does [s, e) overlap one of the sorted, disjoint ``blocked`` spans (``starts`` their starts)?"""
    i = bisect_left(starts, e) - 1
    return i >= 0 and blocked[i][1] > s


def _inside(starts: list[int], blocked: list[tuple[int, int]], s: int, e: int) -> bool:
    """Does [s, e) lie within one of the sorted, disjoint ``blocked`` spans?"""
    i = bisect_right(starts, s) - 1
    return i >= 0 and blocked[i][1] >= e


def _has_digit(word: str) -> bool:
    # Letters are never digits: most words skip the regex.
    return not word.isalpha() and _DIGIT.search(word) is not None


def _split_run(text: str, start: int, end: int, blocked: list[tuple[int, int]],
               starts: list[int]) -> list[tuple[int, int, bool]]:
    """Cut a run of capitalised words into name segments: (start, end, after_title)."""
    if not _overlaps(starts, blocked, start, end):
        # Clear of aliases, a run splits the same wherever it stands ("Syria", "Deir Ezzor" recur
        # within and across texts): split once per run text, offsets relative to the run.
        return [(start + s, start + e, after_title) for s, e, after_title in _run_segments(text[start:end])]
    if _inside(starts, blocked, start, end):  # an alias ("Daesh", "UN Security Council"): no name of its own
        return []
    return _cut_run(text, start, end, blocked, starts)


@lru_cache(maxsize=16384)
def _run_segments(run: str) -> tuple[tuple[int, int, bool], ...]:
    """:func:`_cut_run` of a whole run that overlaps no alias, offsets into ``run``."""
    return tuple(_cut_run(run, 0, len(run), [], []))


def _cut_run(text: str, start: int, end: int, blocked: list[tuple[int, int]],
             starts: list[int]) -> list[tuple[int, int, bool]]:
    """The work of :func:`_split_run`; words inside a ``blocked`` span (an alias) end a segment."""
    check = bool(blocked)  # callers pass blocked spans only when the run overlaps one
    run = text[start:end]
    if not check and " " not in run and "\u00a0" not in run:  # one word: the common case, made quick
        cut = end - 2 if run.endswith(("'s", "’s")) else end
        if "-" in run:
            suffix = _HYPHEN_SUFFIX.search(run)
            if suffix:
                cut = start + suffix.start()
        core = text[start:cut].lower()
        if core in _LEADING_WORDS or core in _MONTHS_DAYS or core in _TITLES or _has_digit(core):
            return []
        return [(start, cut, False)]
    words = [m.span() for m in _WORD.finditer(text, start, end)]
    segments: list[tuple[int, int, bool]] = []
    current: list[tuple[int, int, str, bool]] = []  # (start, end, lowered word, is_cap)
    after_title = False

    def flush() -> None:
        nonlocal current
        while current and not current[-1][3]:
            current.pop()
        while current and not current[0][3]:
            current.pop(0)
        if current:
            segments.append((current[0][0], current[-1][1], after_title))
        current = []

    for ws, we in words:
        if check and _overlaps(starts, blocked, ws, we):
            flush()
            after_title = False
            continue
        word = text[ws:we]
        lower = word.lower()
        if word in _CONNECTOR_SET:  # the run pattern lets only (lowercase) connectors and capitalised words through
            # connector words: "and" only inside "X of Y and Z"; "the" only after "of"/"for"
            prev = current[-1][2] if current else ""
            if lower == "and" and not any(w[2] in ("of", "for") for w in current):
                flush()
                after_title = False
                continue
            if lower == "the" and prev not in ("of", "for"):
                flush()
                after_title = False
                continue
            if lower == "of" and current and current[-1][2] in _PLACE_TAIL:
                flush()
                after_title = False
                continue
            current.append((ws, we, lower, False))
            continue
        cut = we
        if word.endswith(("'s", "’s")):
            cut = we - 2
        elif "-" in word or "‐" in word or "‑" in word:
            suffix = _HYPHEN_SUFFIX.search(word)
            if suffix:
                cut = ws + suffix.start()
        core = text[ws:cut].lower()
        if core in _MONTHS_DAYS or core in _FUNCTION_WORDS or _has_digit(core):
            flush()
            after_title = False
            continue
        if not current and core in _LEADING_WORDS:
            after_title = False
            continue
        if core in _TITLES or core == "secretary" or (core == "general" and current and current[-1][2] == "secretary"):
            current = []  # the title and anything before it belong to the role, not the name
            after_title = True
            continue
        current.append((ws, cut, core, True))
        if cut != we:
            flush()
            after_title = False
    flush()
    return segments


@dataclass(slots=True)
class _Context:
    gaz: Gazetteer
    countries: frozenset[str]
    headlines: dict[int, bool]


_HEADLINE_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def _is_headline(text: str, pos: int, cache: dict[int, bool]) -> bool:
    """Is ``pos`` on a short title-case line (a headline or a related-stories link)?"""
    line_start = text.rfind("\n", 0, pos) + 1
    if line_start in cache:
        return cache[line_start]
    line_end = text.find("\n", pos)
    if line_end < 0:
        line_end = len(text)
    if line_end - line_start > 160:  # a paragraph, not a headline
        cache[line_start] = False
        return False
    line = text[line_start:line_end]
    words = [w for w in _HEADLINE_WORD.findall(line) if len(w) >= 4]
    capitalised = sum(1 for w in words if w[0].isupper())
    result = len(words) >= 3 and capitalised >= 0.6 * len(words)
    cache[line_start] = result
    return result


def _plausible(entry: GazetteerEntry, ctx: _Context) -> bool:
    """A gazetteer hit worth believing without a cue: not a small town abroad ("Uses" is Uzès, France)."""
    return (entry.kind != "city" or entry.country_code in ctx.countries
            or (entry.population or 0) >= _PLAUSIBLE_POPULATION)


def _headline_places(text: str, s: int, e: int, ctx: _Context) -> list[NameMention]:
    """In a title-case line every word is capitalised: keep only the word n-grams the gazetteer knows."""
    words = [(s + m.start(), s + m.end()) for m in _WORD.finditer(text[s:e])]
    out: list[NameMention] = []
    i = 0
    while i < len(words):
        for n in range(min(4, len(words) - i), 0, -1):
            ws, we = words[i][0], words[i + n - 1][1]
            seg = text[ws:we]
            if n == 1 and seg.lower() in _LEADING_WORDS:
                continue
            entry = ctx.gaz.lookup(seg, countries=ctx.countries)
            if entry is not None and _plausible(entry, ctx):
                out.append(NameMention(ws, we, seg, "place", entry.name))
                i += n
                break
        else:
            i += 1
    return out


def _classify(text: str, seg_start: int, seg_end: int, after_title: bool,
              ctx: _Context) -> list[NameMention]:
    """The mention(s) one segment of a capitalised run makes: kind and canonical name."""
    seg = text[seg_start:seg_end]

    def one(kind: str, canonical: str | None) -> list[NameMention]:
        return [NameMention(seg_start, seg_end, seg, kind, canonical)]

    table = _aliases()
    canonical = table.ci.get(_alias_key(seg))  # the text pattern already found the exact aliases
    if canonical is not None:
        return one(table.kinds[canonical], canonical)
    if _is_headline(text, seg_start, ctx.headlines):
        return _headline_places(text, seg_start, seg_end, ctx)
    words = seg.lower().replace("-", " ").split()
    # Organisation and title words decide alone: settle them before reading the context.
    if words[-1] in _ORG_WORDS and words[-1] not in _PLACE_TAIL:
        return one("org", canonical)
    if after_title:
        return one("person", canonical)
    cues = _cues(text, seg_start)
    if cues.person:
        return one("person", canonical)
    strong = cues.strong
    after_cue = _AFTER_CUE.match(text, seg_end, seg_end + 40)
    prefer = None
    if strong is not None:
        prefer = _CUE_PREFER.get(strong)
    elif after_cue is not None:
        prefer = _CUE_PREFER.get(after_cue.group(1).lower())
    demonym = len(words) == 1 and _is_demonym(words[0])
    place_shaped = strong is not None or words[-1] in _PLACE_TAIL or words[0] in _PLACE_HEAD
    cued = place_shaped or ((after_cue is not None or cues.weak) and not demonym)
    if demonym and strong is None:  # "Syrian", "Iraqi", "Arab" (also a town in Alabama)
        return one("other", canonical)
    entry = ctx.gaz.lookup(seg, prefer=prefer, countries=ctx.countries)
    if entry is not None and (cued or _plausible(entry, ctx)):
        return one("place", entry.name)
    if place_shaped:
        return one("place", canonical)
    if any(w in _ORG_WORDS for w in words):
        return one("org", canonical)
    if cued:
        return one("place", canonical)
    return one("other", canonical)


def find_names(text: str, lowered_text: str | None = None) -> list[NameMention]:
    """Every name mention in ``text``, in order, with offsets into the original ``text``.

    Sources: alias-table phrases (case-insensitive, acronyms case-sensitive), runs of
    capitalised words (with al-/ez-/of/de connectors), and Arabic-script words the gazetteer
    knows. Kinds come from the alias table, cue words ("village of", "province of", "in"),
    organisation and title words, and the gazetteer; an ambiguous place name is resolved
    towards the countries the text names. ``lowered_text``: :func:`~llmextract.text.caseless.lowered` of
    ``text``, when the caller has it (the evidence index does).
    """
    gaz = get_gazetteer()
    table = _aliases()
    mentions: list[NameMention] = []
    aliases = _alias_spans(text, lowered_text)
    blocked = [(s, e) for s, e, _ in aliases]
    for s, e, canonical in aliases:
        mentions.append(NameMention(s, e, text[s:e], table.kinds.get(canonical, "other"), canonical))
    starts = [s for s, _ in blocked]
    segments: list[tuple[int, int, bool]] = []
    for m in _RUN.finditer(text):
        s, e = m.span()
        if s and text[s - 1] in "-‐‑":
            prefix = _PREFIX_BEFORE.search(text, max(0, s - 5), s)
            if prefix is None:  # "pro-Assad", "anti-Daesh": not a name of its own
                continue
            s = prefix.start()
        elif e - s <= 12 and text[s:e].lower() in _LEADING_WORDS:  # "The", "It", "Local": the commonest runs
            continue
        segments.extend(_split_run(text, s, e, blocked, starts))
    # The countries the text is about: named ("Syria"), as adjectives ("Yemeni"), or through a
    # province or a large city; an ambiguous small place is then resolved towards them.
    countries: set[str] = set()
    for seg in dict.fromkeys(text[s:e] for s, e, _ in segments):  # each name once: "Syria" recurs
        entry = gaz.lookup(seg)
        if entry is not None and entry.country_code and (
                entry.kind in ("country", "province") or (entry.population or 0) >= _PLAUSIBLE_POPULATION):
            countries.add(entry.country_code)
        elif " " not in seg:
            cc = _demonym_country(fold(seg))
            if cc:
                countries.add(cc)
    ctx = _Context(gaz, frozenset(countries), {})
    for s, e, after_title in segments:
        mentions.extend(_classify(text, s, e, after_title, ctx))
    # Most texts have no Arabic script. The run pattern opens with a repeat, which the regex engine
    # tries at every character; a one-character search is far cheaper and says where runs can start.
    first_arabic = _ARABIC_CHAR.search(text)
    arabic_runs = _ARABIC_RUN.finditer(text, first_arabic.start()) if first_arabic else ()
    for m in arabic_runs:
        if _overlaps(starts, blocked, m.start(), m.end()):
            continue
        entry = gaz.lookup(m.group(0), countries=ctx.countries)
        if entry is not None and _plausible(entry, ctx):
            mentions.append(NameMention(m.start(), m.end(), m.group(0), "place", entry.name))
            continue
        # Arabic has no capitals: a single word counts only when long enough, not a function
        # word, and a plausible place (curated, a country, in the text's countries, or large).
        for w in _WORD.finditer(m.group(0)):
            word = w.group(0)
            if len(fold(word)) < 3 or word in _ARABIC_STOPWORDS:
                continue
            entry = gaz.lookup(word, countries=ctx.countries)
            if entry is not None and _plausible(entry, ctx):
                s, e = m.start() + w.start(), m.start() + w.end()
                mentions.append(NameMention(s, e, word, "place", entry.name))
    mentions.sort(key=lambda x: (x.start, -x.end))
    return mentions




# --------------------------------------------------------------------------------------------
# Matching a candidate (model output) against a mention
# --------------------------------------------------------------------------------------------

_GENERIC_LEAD = re.compile(r"^(?:the )?(?:(?:village|town|city|province|governorate|district|settlement) of )?")


def _core(key: str) -> str:
    key = _GENERIC_LEAD.sub("", key)
    return _strip_generic(key)[0]


def match_name(candidate: str, target: str, *, threshold: float = 0.85) -> tuple[str, float] | None:
    """How ``candidate`` (say, a model's output) matches ``target`` (a mention in the text).

    ("exact", 1.0) same string; ("normalized", 1.0) equal after :func:`fold` (or after dropping
    a generic "village of"/"province"); ("alias", 1.0) same canonical alias, same gazetteer
    place, or same skeleton; ("fuzzy", score) rapidfuzz ratio of the folded forms at or above
    ``threshold``; else None.
    """
    if candidate.strip() == target.strip() and candidate.strip():
        return "exact", 1.0
    fc, ft = fold(candidate), fold(target)
    if not fc or not ft:
        return None
    if fc == ft or _core(fc) == _core(ft):
        return "normalized", 1.0
    ca = canonical_alias(candidate)
    if ca is not None and ca == canonical_alias(target):
        return "alias", 1.0
    if _skeleton_match(candidate, target) or get_gazetteer().same_place(candidate, target):
        return "alias", 1.0
    score = fuzz.ratio(fc, ft) / 100.0
    if score >= threshold:
        return "fuzzy", score
    return None
