"""llmextract: structured, verified casualty claims from news articles."""

from __future__ import annotations

__version__ = "0.1.0"
