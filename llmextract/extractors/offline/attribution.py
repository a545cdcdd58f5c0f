"""Who says so: the claimant, relays and outlet of a sentence, from its speech verbs and their noun phrases.

A speech act ("said", "told", "according to", "puts the toll at") names its speaker as a noun
phrase read off the text: before the verb ("the Nineveh Civil Defence Directorate said", "a
spokesman for the Anbar governor said"), after it when inverted (", said the letters"), after
"according to" ("according to various sources including Human Rights Watch": the named one). An
appositive or relative clause between the speaker and the verb is skipped ("The Yemen Data Pulse,
a monitoring project, says"; "Airwars, which tracks civilian deaths, says"); "which has stated"
takes the noun phrase before the comma. The object of "told" is a relay. "So-called" and the like
are dropped: they are the outlet's comment, not the speaker's name.

A speaker that is a pronoun ("It said", "he said") or a document ("said the letters", "the
statement said") is returned as a reference (:attr:`Speech.anaphor`) for the claim to resolve
against earlier sentences (:func:`resolve_reference`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmextract.extractors.offline.patterns import compiled
from llmextract.extractors.offline.scan import Scan
from llmextract.text.index import EvidenceIndex, Sentence

_SPEECH_WORDS = (r"said|says|say|told|tells|reported|reports|report|stated|states|noted|added|adds|claimed|claims|"
                 r"announced|announces|confirmed|confirms|quoted|cited|according\s+to|citing|reporting|quoting|"
                 r"alleged|alleges|accused|accuses|accusing|denounced|condemned|charged|blamed|"
                 r"sent\s+(?:a|two|three|several)\s+(?:separate\s+)?letters?|"
                 r"(?:put|puts|putting|placed|places|placing)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}?"
                 r"(?:toll|total|tally|figure|number)\b")
SPEECH = compiled(rf"\b(?:{_SPEECH_WORDS})\b", re.I)
SPEECH_SCAN = Scan(_SPEECH_WORDS, "abcdnpqrst")
# Verbs of a charge or a protest (an allegation's speech act): "accused ... of", "denounced", "sent a letter"
STATEMENT = compiled(r"\b(?:accus(?:ed|es|ing)|denounc(?:ed|es|ing)|condemn(?:ed|s|ing)|charg(?:ed|es|ing)|"
                     r"blam(?:ed|es|ing)|alleg(?:ed|es|ing)|stated|states|said|says|sent\s+(?:a|two|\w+)\s+"
                     r"(?:separate\s+)?letters?|in\s+(?:a|two|\w+)\s+(?:separate\s+)?(?:letters?|statements?))\b",
                     re.I)

# -- noun phrases --------------------------------------------------------------------------------------------
_TOKEN = compiled(r"\([A-Z][\w.&-]*\)|[\w'’.&-]+|[,;:()\[\]“”\"—–]")
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her", "this", "that", "these", "those", "some", "several",
                "two", "three", "other", "various", "multiple", "many", "unnamed", "anonymous"}
# Lower-case words that may stand inside a speaker's noun phrase (modifiers and heads).
_NP_LOWER = set("""
local official officials medical security military police hospital government state state-run state-owned rescue
health activist activists opposition humanitarian monitoring eyewitness eyewitnesses informed reliable credible
diplomatic intelligence tribal provincial district regional city town village municipal civil defence defense
human rights news agency agencies sources source group groups observatory ministry army witnesses residents
spokesman spokeswoman spokesperson spokesmen monitor monitors media reports report authorities authority governor
governors medics doctors doctor paramedics rescuers villagers survivors statement statements letter letters
official's council councils office offices administration command directorate committee network project
commander commanders head chief chiefs administrator mayor minister ministers deputy director team teams
force forces volunteer volunteers emergency room service services department departments bureau commission
prosecutor prosecutor's governor's organization organisation organizations organisations watchdog coalition
television radio channel website newspaper daily outlet outlets broadcaster press journalists journalist
reporters reporter correspondent correspondents elders elder leaders leader members member worker workers staff
relief aid charity charities nurses nurse community communities tribe officer officers personnel operations
operation centre center registry register documentation casualty casualties unit units media's cell
pro-government anti-government government-run rebel rebels militant militants insurgent insurgents fighters
party parties spokesperson's secretary-general secretary general president presidency interior foreign
affairs justice information hospitals clinic clinics morgue
""".split())
_CONNECTORS = {"of", "for", "at", "in", "and", "on"}
_HEADS = _NP_LOWER - {"local", "official", "medical", "security", "military", "hospital", "government", "state",
                      "state-run", "state-owned", "rescue", "health", "activist", "opposition", "humanitarian",
                      "monitoring", "informed", "reliable", "credible", "diplomatic", "intelligence", "tribal",
                      "provincial", "district", "regional", "city", "town", "village", "municipal", "civil",
                      "defence", "defense", "human", "rights", "news", "pro-government", "anti-government",
                      "government-run", "interior", "foreign", "justice", "information", "emergency", "relief",
                      "aid", "volunteer", "casualty", "documentation", "general"}
_PRONOUNS = {"it", "he", "she", "they", "we", "i"}
_DOCUMENTS = compiled(r"^(?:the|this|that|its|their)\s+(?:\w+\s+)?(letters?|statements?|reports?|communiqu[eé]s?|"
                      r"notes?|complaints?)$", re.I)
_EVALUATIVE = compiled(r"\b(?:so-called|self-styled|self-proclaimed|purported|alleged)\s+", re.I)
_VERBISH = compiled(r"\b(?:is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|could|should|may|"
                    r"might|can|must|killed|wounded|injured|died|hit|struck|shelled|attacked|carried|came|left|"
                    r"after|when|while|because|if|than|who|which|whom|whose|where|not|no)\b", re.I)
# Adverbs and time phrases between a speaker and its verb: "the ministry also said", "police on Sunday said"
_TRAILING_ADVERB = compiled(
    r"(?:\s+(?:also|later|earlier|further|again|previously|separately|first|initially|then|now|officially|"
    r"reportedly|already|had|has|have|in\s+a\s+(?:\w+\s+)?statement|on\s+its\s+website|on\s+\w+(?:\s+\d{1,2})?|"
    r"last\s+\w+|this\s+\w+|yesterday|today|late\s+on\s+\w+|early\s+on\s+\w+))+$", re.I)
# A participle or appositive clause between a speaker and its verb: ", requesting anonymity,", ", a volunteer
# group,", ", which tracks civilian deaths,"
_ASIDE = compiled(r"^\s*(?:a|an|the\s+(?:[\w-]+\s+){0,2}?(?:group|project|monitor|organi[sz]ation|network|body|"
                  r"watchdog|agency)|which|who|whose|requesting|speaking|citing|quoting|based|backed|run|led|"
                  r"funded|founded|according|[a-z]+ing\b|[a-z]+ed\b)", re.I)
_REPORT_NOUN = compiled(r"\b(?:local|media|news|other|some|several|unconfirmed|initial|earlier|later|press|"
                        r"conflicting|separate|official|the|these|those|such|multiple|various)\s+$", re.I)
_INCLUDING_NAME = compiled(r"\s+(?:including|such\s+as|among\s+them)\s+((?:the\s+)?[A-Z][\w'’-]*(?:[ \t]+(?:of|for|"
                           r"and|the|[A-Z][\w'’-]*)\b)*)")


@dataclass
class Speech:
    """The speech acts of one sentence: the speaker, relays and outlet, with the spans they were read from."""

    claimant: str | None = None
    relays: list[str] = field(default_factory=list)
    outlet: str | None = None
    anaphor: str | None = None  # a pronoun or document speaker ("It", "the letters"), for the claim to resolve
    spans: list[tuple[int, int]] = field(default_factory=list)


def _clean(np: str) -> str:
    """The speaker without the outlet's comment: "the so-called X" -> "X" (verbatim in the text)."""
    if _EVALUATIVE.search(np):
        np = re.sub(r"^(?:the|a|an)\s+", "", _EVALUATIVE.sub("", np), flags=re.I)
    return np.strip(" ,")


def _is_np(words: list[str]) -> bool:
    """Whether tokens make a speaker's noun phrase: a capitalised word or a known head, no verb."""
    if not words or len(words) > 12:
        return False
    phrase = " ".join(words)
    if _VERBISH.search(phrase) or any(any(ch.isdigit() for ch in w) for w in words):
        return False
    return any(w[:1].isupper() and w.lower() not in _DETERMINERS and w.lower() not in _CONNECTORS
               for w in words) or any(w.lower().strip("'’") in _HEADS for w in words) or (
        _np_word(words[-1].lower()) and len(words) <= 5)


_STOP = set("""
to from by with into onto over under about after before during since until against between among through across
toward towards than as if because while when whereas although though but or nor so yet not no also only just
who whom whose which that what where why how there here then this these those such same other another
be is are was were been being am has have had do does did will would shall should can could may might must
said says say told tells reported reports added noted stated claimed confirmed announced
killed wounded injured died dead struck hit shelled attacked bombed fired exploded opened stormed
""".split())
_PARTICIPLE_OK = {"armed", "unnamed", "informed", "united", "concerned", "displaced", "detained", "appointed",
                  "elected", "retired", "designated", "unidentified"}


def _np_word(low: str) -> bool:
    """A lower-case word that may stand in a speaker's noun phrase: not a function word, a verb or an adverb."""
    if low in _STOP or not re.fullmatch(r"[a-z][a-z'’-]*", low) or low.endswith("ly"):
        return False
    if re.fullmatch(r"[\w-]+-(?:based|led|run|backed|installed|owned|affiliated|aligned|allied|controlled|funded|"
                    r"appointed|held|linked)", low):
        return True
    return not low.endswith("ed") or low in _PARTICIPLE_OK


# Up to the last of the marks that are tokens of their own and end a backward reading (a comma, a colon, a quote
# mark, a dash): the greedy run backs off to it
_LAST_BREAK = re.compile(r"(?s:.*)[,;:\[\]“”\"—–]")


def trailing_np(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase that ends at ``end`` (after trailing adverbs are dropped), no earlier than ``start``.

    Read backwards over capitalised words, known modifiers and heads, possessives ("the town's military
    administration") and connectors between heads ("a spokesman for the Anbar governor"); a determiner
    ends it."""
    # The reading stops at a comma, colon, quote mark or dash (never part of a word or an adverb): read from the
    # last one on
    last = _LAST_BREAK.match(text, start, end)
    cut = last.end() - 1 if last else start
    window = text[cut:end]
    trail = _TRAILING_ADVERB.search(window)
    if trail:
        window = window[:trail.start()]
    tokens = list(_TOKEN.finditer(window))
    i = len(tokens) - 1
    first = None
    while i >= 0:
        tok = tokens[i].group(0)
        low = tok.lower()
        if tok in (",", ";", ":", "(", ")", "[", "]", "“", "”", '"', "—", "–"):
            break
        if tok.startswith("(") and tok.endswith(")"):  # "(SANA)": the acronym after the name
            i -= 1
            continue
        if low in _DETERMINERS:
            first = i
            joined = i >= 2 and tokens[i - 1].group(0).lower() in _CONNECTORS and (
                tokens[i - 2].group(0).lower().strip("'’") in _NP_LOWER or tokens[i - 2].group(0)[:1].isupper())
            if not joined:
                break
            i -= 2  # "a spokesman for | the Anbar governor": the connector joins two noun phrases
            continue
        if low in _CONNECTORS:
            # a connector joins two parts of one name when a head or capitalised word stands before it
            before = tokens[i - 1].group(0) if i > 0 else ""
            if first is None or not (before[:1].isupper() or before.lower().strip("'’") in _NP_LOWER
                                     or before.lower().endswith(("'s", "’s"))):
                break
            i -= 1
            continue
        if tok[:1].isupper() or low in _NP_LOWER or low.endswith(("'s", "’s", "s'")) or _np_word(low):
            first = i
            i -= 1
            continue
        break
    if first is None:
        return None
    # a connector cannot open the phrase
    while first < len(tokens) and tokens[first].group(0).lower() in _CONNECTORS:
        first += 1
    if first >= len(tokens):
        return None
    s = cut + tokens[first].start()
    e = cut + (trail.start() if trail else len(text[cut:end].rstrip()))
    e = s + len(text[s:e].rstrip(" ,"))
    words = text[s:e].split()
    if words and words[0].lower() in _DETERMINERS and len(words) == 1:
        return None
    bare = [w for w in words if w.lower() not in _DETERMINERS]
    if not _is_np(bare) and not (len(bare) == 1 and bare[0].lower() in _PRONOUNS):
        return None
    return s, e


def leading_np(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The noun phrase that starts at ``start`` and runs at most to ``end`` (", said the letters.")."""
    m = re.match(r"\s*((?:(?:the|a|an|its|their)\s+)?[\w'’&-]+(?:\s+(?:(?:of|for|at|in|and|the)\b|[\w'’&-]+)){0,10})",
                 text[start:end])
    if not m:
        return None
    s = start + m.start(1)
    phrase = m.group(1)
    cut = re.search(r"\s+(?:including|that|on|as|after|when|while|who|which|adding|saying|citing|calling|said|says|"
                    r"was|were|is|are|has|had|have|to|from|by|with|over|about|late|early|last|this|earlier)\b|[,.;:]",
                    phrase)
    if cut:
        phrase = phrase[:cut.start()]
    phrase = re.sub(r"(?:\s+(?:of|for|at|in|and|the))+$", "", phrase.rstrip(" ,."))
    words = phrase.split()
    bare = [w for w in words if w.lower() not in _DETERMINERS]
    if not bare or (not _is_np(bare) and not (len(bare) == 1 and bare[0].lower() in _PRONOUNS)):
        return None
    return s, s + len(phrase)


def _subject(text: str, sent: Sentence, verb_start: int) -> tuple[int, int] | None:
    """The speaker before a verb, skipping one aside: "Local sources, requesting anonymity, told"."""
    np = trailing_np(text, sent.start, verb_start)
    before = text[sent.start:verb_start]
    aside = re.search(r",([^,]{1,90}),\s*$", before) if before.rstrip().endswith(",") else None
    if aside and _ASIDE.match(aside.group(1)) and (np is None or np[0] >= sent.start + aside.start(1)):
        outer = trailing_np(text, sent.start, sent.start + aside.start())
        if outer is not None:
            return outer
    if np is not None and text[np[0]:np[1]].lower() in ("which", "who"):
        return None
    return np


def _relative_antecedent(text: str, sent: Sentence, verb_start: int) -> tuple[int, int] | None:
    """", which has stated": the noun phrase before the comma."""
    before = text[sent.start:verb_start]
    m = re.search(r",\s+(?:which|who)\s+(?:has\s+|have\s+|had\s+|also\s+)*$", before) \
        if before.rstrip().endswith(("which", "who", "has", "have", "had", "also")) else None
    if m is None:
        return None
    return trailing_np(text, sent.start, sent.start + m.start())


_SET_OFF = (",", "”", '"')  # what ends the words before an attribution set off from them ("..., police said")
_SHORT_TAIL = compiled(r"\s*(?:(?:on|late\s+on|early\s+on)\s+\w+(?:\s+\d{1,2})?|in\s+a\s+(?:\w+\s+)?statement|"
                       r"on\s+(?:its|their)\s+website|(?:last|this)\s+\w+|yesterday|today|\w+ly)?\s*[.;]?\s*$", re.I)


def _content(text: str, sent: Sentence, np: tuple[int, int], vs: int, ve: int, *, inverted: bool = False,
             forward_only: bool = False) -> tuple[tuple[int, int], ...]:
    """Where a speaker's words are: after the verb ("X said that ..."), before the speaker when the attribution
    closes the clause ("..., X said." or ", said X."), or both around an attribution set off mid-sentence
    ("Twelve died, police said, and 20 were hurt")."""
    if forward_only:
        return ((ve, sent.end),)
    if inverted:
        return ((sent.start, vs),)
    set_off = text[sent.start:np[0]].rstrip().endswith(_SET_OFF) and np[0] > sent.start
    tail = text[ve:sent.end]
    if set_off and _SHORT_TAIL.fullmatch(tail):
        return ((sent.start, np[0]),)
    if set_off:
        return ((sent.start, np[0]), (ve, sent.end))
    return ((ve, sent.end),)


@dataclass(frozen=True, slots=True)
class _Speaker:
    """A speaker read off a sentence: its span, the noun phrase as a name, and where its words are."""

    span: tuple[int, int]
    np: str
    content: tuple[tuple[int, int], ...]
    anaphoric: bool  # a pronoun or a document ("It", "the letters"), to be resolved by the claim
    bare: str  # the noun phrase without its determiner, lower-cased


@dataclass(frozen=True, slots=True)
class _Act:
    """One speech act of a sentence, in text order: a speaker (``speaker``), the object of "told" (``relay``), or
    "citing X"/"quoting X" (``cites``: X, who speaks when a speaker is already known; else ``speaker`` is X)."""

    speaker: _Speaker | None = None
    relay: str | None = None
    citing: bool = False
    cites: tuple[int, int] | None = None


class _SpeechTable:
    """What an article's sentences say about who speaks, kept with its index: each sentence's acts (read once,
    whatever claim asks) and each reading of them for a claim's outlet and focus."""

    def __init__(self) -> None:
        self.acts: dict[tuple[int, int], list[_Act]] = {}
        self.read: dict[tuple[int, int, str | None, int | None], Speech] = {}
        self.named: dict[str, str] = {}


def sentence_speech(index: EvidenceIndex, sent: Sentence, *, outlet: str | None = None,
                    focus: int | None = None) -> Speech:
    """Claimant, relays and outlet from the speech verbs of one sentence.

    The first speaker is the claimant, the object of "told" a relay, a later speaker (", presstv.ir
    reported", "according to Press TV" after a speaker) the outlet. ``outlet``: the article's own
    outlet, never a relay ("told Al Jazeera" in Al Jazeera's own report). ``focus``: the offset of
    the figure (or charge) the claim is about; a speaker whose words do not hold it is not its
    claimant ("an attack with 60 casualties ... prompted the ministry, which has stated ...": the
    ministry states the charge, not the figure).

    The sentence's speech acts are read once per article (:func:`_speech_acts`); each claim's outlet and
    focus only choose among them, and the reading is remembered too."""
    table = index.kept(_SpeechTable, _SpeechTable)
    key = (sent.start, sent.end, outlet, focus)
    got = table.read.get(key)
    if got is None:
        acts = table.acts.get(key[:2])
        if acts is None:
            acts = table.acts[key[:2]] = _speech_acts(index, sent)
        got = table.read[key] = _reading(index, table, acts, outlet, focus)
    return Speech(got.claimant, list(got.relays), got.outlet, got.anaphor, list(got.spans))


def _reading(index: EvidenceIndex, table: _SpeechTable, acts: list[_Act], outlet: str | None,
             focus: int | None) -> Speech:
    """The speech of a sentence for a claim: its acts read in order with the claim's ``outlet`` and ``focus``."""
    text = index.text
    out = Speech()

    def speaker(sp: _Speaker) -> None:
        holds = focus is None or any(a <= focus < b for a, b in sp.content)
        if sp.anaphoric:
            if out.claimant is None and out.anaphor is None and holds:
                out.anaphor = sp.np
            return
        if out.claimant is None and out.anaphor is None and holds:
            out.claimant = sp.np
            out.spans.append(sp.span)
        elif out.claimant is not None and sp.np != out.claimant and out.outlet is None \
                and sp.bare not in out.claimant.lower():
            out.outlet = sp.np

    cited: tuple[int, int] | None = None
    for act in acts:
        if act.citing and out.claimant is not None:
            # "the Herald reported, citing a local official": the official speaks, the Herald relays
            if act.cites is not None:
                cited = act.cites
            continue
        if act.speaker is not None:
            speaker(act.speaker)
        if act.relay is not None:
            if outlet and act.relay.lower() in outlet.lower():
                out.outlet = out.outlet or act.relay  # the article's own outlet asked the source
            elif act.relay not in out.relays:
                out.relays.append(act.relay)
    if cited is not None and out.claimant is not None:
        relay = out.claimant
        out.claimant = _clean(text[cited[0]:cited[1]])
        out.spans = [cited]
        if relay not in out.relays:
            out.relays.insert(0, relay)

    def named(np: str) -> str:
        got = table.named.get(np)
        if got is None:
            got = table.named[np] = _named(np)
        return got

    if out.claimant:
        out.claimant = named(out.claimant)
    out.relays = [named(r) for r in out.relays]
    return out


def _speaker(text: str, span: tuple[int, int] | None, content: tuple[tuple[int, int], ...]) -> _Speaker | None:
    """The speaker read at ``span`` (None: nothing is left of it once the outlet's comment is dropped)."""
    if span is None:
        return None
    np = _clean(text[span[0]:span[1]])
    if np.endswith((")", ")\n")):
        np = re.sub(r"\s*\([A-Z][\w.&-]*\)$", "", np)  # "the Syrian Arab News Agency (SANA)"
    if not np:
        return None
    bare = re.sub(r"^(?:the|this|that|its|their)\s+", "", np, flags=re.I)
    anaphoric = np.lower() in _PRONOUNS or bool(_DOCUMENTS.match(np))
    return _Speaker(span, np, content, anaphoric, bare.lower())


def _speech_acts(index: EvidenceIndex, sent: Sentence) -> list[_Act]:
    """The speech acts of one sentence, in text order, as :func:`sentence_speech` reads them."""
    text = index.text
    acts: list[_Act] = []
    for vs, ve in SPEECH_SCAN.within(index, sent.start, sent.end):
        verb = text[vs:ve].lower()
        if text[vs].isupper() and not (verb.startswith(("according", "citing", "quoting")) and vs == sent.start):
            continue  # "the United States", "Reports": a name or a noun, not a verb
        if verb in ("report", "reports", "claims") and (
                _REPORT_NOUN.search(text, sent.start, vs) or SPEECH.match(text, ve + 1)
                or re.match(r"\s+(?:of|that\s+\w+\s+(?:were|was|had))\b", text[ve:ve + 30])):
            continue  # "local reports claimed", "other reports said": the noun
        if verb.startswith("according") or verb in ("citing", "quoting"):
            span = leading_np(text, ve, sent.end)
            cites = span
            said = None
            if span is not None:
                phrase = text[span[0]:span[1]]
                named = _INCLUDING_NAME.match(text, span[1], sent.end)
                if named and not any(c.isupper() for c in phrase.split()[-1][:1]):
                    span = (named.start(1), named.end(1))  # "various sources including Human Rights Watch"
                at_start = not text[sent.start:vs].strip(" ,")
                said = _speaker(text, span, ((span[1], sent.end),) if at_start else ((sent.start, vs),))
            acts.append(_Act(speaker=said, citing=verb in ("citing", "quoting"), cites=cites))
            continue
        if verb.endswith("ing"):
            continue  # "accusing", "reporting": no subject of their own
        relative = _relative_antecedent(text, sent, vs)
        span = relative or _subject(text, sent, vs)
        if span is None and text[sent.start:vs].rstrip().endswith(_SET_OFF):
            # inverted: ", said the ministry", "” said the letters"
            inv = leading_np(text, ve, sent.end)
            if inv is not None and re.match(r"\s*(?:[.;,]|$)", text[inv[1]:sent.end]):
                acts.append(_Act(speaker=_speaker(text, inv, _content(text, sent, inv, vs, ve, inverted=True))))
                continue
        said = None
        if span is not None:
            said = _speaker(text, span, _content(text, sent, span, vs, ve, forward_only=relative is not None))
        relay = None
        if verb in ("told", "tells") and not re.search(r"\b(?:was|were|been|being|be|is|are)\s+$", text[sent.start:vs]):
            obj = leading_np(text, ve, sent.end)
            if obj is not None:
                named = re.match(r",\s+([A-Z][\w'’&-]*(?:\s+[A-Z][\w'’&-]*)*),", text[obj[1]:sent.end])
                if named:  # "told Syria's official news agency, SANA, that"
                    obj = (obj[1] + named.start(1), obj[1] + named.end(1))
                names = [n for n in index.names_in(obj[0], obj[1]) if n.kind == "org" and n.canonical]
                relay = names[-1].text if names else text[obj[0]:obj[1]]
        if said is not None or relay is not None:
            acts.append(_Act(speaker=said, relay=relay))
    return acts


_DESCRIPTOR = compiled(r"\b(?:agency|news|channel|television|broadcaster|outlet|newspaper|website|group|monitor)\b")


def _named(np: str) -> str:
    """A descriptor before a name is dropped: "the state news agency SANA" -> "SANA" (the name says who)."""
    if not _DESCRIPTOR.search(np):
        return np  # no descriptor to drop
    m = re.fullmatch(r"(?:(?:the|a|an)\s+)?(?:[\w'’-]+\s+){1,5}?([A-Z][A-Za-z]*[A-Z][\w-]*|[A-Z]{2,}[\w-]*)", np)
    if m and not any(w[:1].isupper() for w in np[:m.start(1)].split()[1:]) and _DESCRIPTOR.search(np, 0, m.start(1)):
        return m.group(1)
    return np


def resolve_reference(index: EvidenceIndex, anaphor: str, before: int, *, lookback: int = 4) -> tuple[str, int] | None:
    """The party a pronoun or document speaker stands for: the speaker of an earlier sentence (up to
    ``lookback`` sentences back), the one that wrote the document for "the letters"; with that sentence's index."""
    doc = _DOCUMENTS.match(anaphor)
    noun = doc.group(1).lower().rstrip("s") if doc else None
    first = index.sentence_at(before).index
    for i in range(first - 1, max(-1, first - 1 - lookback), -1):
        sent = index.sentences[i]
        if noun is not None and not re.search(rf"\b{noun}s?\b", sent.text, re.I):
            continue
        if noun is not None:
            # "the ministry, in two separate letters ..., denounced", "the ministry sent a letter": its author
            m = re.search(rf",?\s*\b(?:in|sent|through|with|issued|released|published|wrote)\s+(?:a|an|two|three|"
                          rf"several|\w+)\s+(?:separate\s+)?(?:[\w-]+\s+)?{noun}s?\b", sent.text, re.I)
            span = trailing_np(index.text, sent.start, index.offset_in(sent, m.start())) if m else None
            if span is not None:
                return _clean(index.text[span[0]:span[1]]), i
            continue
        got = sentence_speech(index, sent)
        if got.claimant:
            return got.claimant, i
    return None
