"""The extractor that needs no model: claims built from the evidence index by rules.

It attaches count mentions to casualty cues ("killed", "wounded", "among the dead"), keeps
breakdowns ("including nine children") apart from the main figure, finds the claimant and
relays from speech verbs ("told SANA", "according to Press TV"), the place from place cues
and name mentions, the date from date mentions, and tells cumulative tallies from incidents.

One module per question the rules answer, each asking the index only:

* :mod:`.counts`: which figure of a sentence counts the killed or the injured;
* :mod:`.attribution`: who says so (claimant, relays, outlet);
* :mod:`.places`: where it happened;
* :mod:`.claims`: sentences grouped into claims (incident, tally, allegation), and the claim built;
* :mod:`.scoring`: the figure a one-event benchmark compares (WAD);
* :mod:`.scan`: what is read once per article and kept with its index (``index.memo``);
* :mod:`.patterns`: the rules' patterns compiled so their word lists are tried letter by letter.
"""

from llmextract.extractors.offline.claims import extract_offline
from llmextract.extractors.offline.scoring import primary_counts

__all__ = ["extract_offline", "primary_counts"]
