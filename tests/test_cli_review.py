"""``llmextract eval``, ``review`` and ``export``: the review package's commands on the command line."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from llmextract.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "examples" / "gold"
ARTICLES = ROOT / "examples" / "articles"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The offline extractor's results on the five samples, as a JSONL file (what `batch` writes)."""
    from llmextract.io import read_article
    from llmextract.pipeline import Pipeline

    path = tmp_path_factory.mktemp("results") / "offline.jsonl"
    with Pipeline(None) as pipeline, path.open("w", encoding="utf-8") as fh:
        for article in sorted(ARTICLES.glob("*.txt")):
            fh.write(pipeline.run(read_article(article)).model_dump_json() + "\n")
    return path


def _claims(path: Path) -> int:
    return sum(len(json.loads(line)["claims"]) for line in path.read_text(encoding="utf-8").splitlines())


def test_eval_json_is_the_whole_report(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmextract.review.commands import eval_command

    code = main(["eval", "--gold", str(GOLD), "--pred", str(results), "--name", "offline", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["gold_articles"] == 5 and [s["name"] for s in report["systems"]] == ["offline"]
    assert code == eval_command(GOLD, [results], names=["offline"], fmt="json")[1]


def test_eval_prints_plain_text_into_a_pipe_and_a_rich_table_on_a_terminal(
        results: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    main(["eval", "--gold", str(GOLD), "--pred", str(results), "--pred", str(results), "--name", "a", "--name", "b"])
    plain = capsys.readouterr().out
    assert plain.startswith(f"gold: {GOLD}") and "P / R / F1 / flagged" in plain and "┏" not in plain
    monkeypatch.setenv("NO_COLOR", "1")
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    main(["eval", "--gold", str(GOLD), "--pred", str(results), "--name", "offline"])
    shown = term.getvalue()
    assert "┏" in shown and "killed" in shown and "[offline] 5 of 5 gold articles joined" in shown
    assert shown.startswith(f"gold: {GOLD}")


def test_eval_wants_one_name_per_prediction(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--gold", str(GOLD), "--pred", str(results), "--name", "a", "--name", "b"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "one name per prediction" in err[0]


def test_eval_of_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--gold", str(GOLD), "--pred", str(tmp_path / "none.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("llmextract: ") and "none.jsonl" in err[0]


def test_review_writes_the_page_and_says_so(results: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "review.html"
    assert main(["review", str(results), "-o", str(page), "--articles", str(ARTICLES)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "<html" in html.lower() and "Hajin" in html
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {page}: 5 article(s), {_claims(results)} claim(s)")  # the target, not a temp file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.html"]


def test_review_to_standard_output(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(results), "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert "<html" in captured.out.lower() and captured.err.startswith("wrote -: 5 article(s)")


def test_review_into_a_missing_folder_is_one_line(results: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", str(results), "-o", str(tmp_path / "no" / "page.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such folder" in err[0]


@pytest.mark.parametrize(("name", "fmt"), [("claims.csv", None), ("claims.jsonl", None), ("claims.txt", "jsonl")])
def test_export_writes_one_row_per_claim(results: Path, tmp_path: Path, name: str, fmt: str | None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from llmextract.review.export import COLUMNS

    target = tmp_path / name
    args = ["export", str(results), "-o", str(target)] + (["--format", fmt] if fmt else [])
    assert main(args) == 0
    text = target.read_text(encoding="utf-8")
    if name.endswith(".csv"):
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == list(COLUMNS)
    else:
        rows = [json.loads(line) for line in text.splitlines()]
        assert set(rows[0]) == set(COLUMNS)
    assert len(rows) == _claims(results)
    assert capsys.readouterr().out == f"wrote {len(rows)} row(s) from 5 article(s) to {target}\n"


def test_export_to_standard_output(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(results), "--format", "jsonl", "-o", "-"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == _claims(results) and captured.err.startswith("wrote ")
