from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "examples" / "articles"


@pytest.fixture(scope="session")
def articles() -> dict[str, str]:
    """The five sample articles, by file stem."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))}


@pytest.fixture(scope="session")
def hajin(articles: dict[str, str]) -> str:
    return articles["001_7324fdaa959f27c2"]
