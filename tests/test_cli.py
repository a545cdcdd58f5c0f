"""The command line: its rendering of results and the habits of the ecosystem (help, version, -o, -, formats,
NO_COLOR, one line per problem)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmextract.cli import EXAMPLES, build_parser, main
from llmextract.cli.render import findings_cell
from llmextract.schema import Finding, Verdict


def test_the_findings_cell_shows_values_as_a_reader_writes_them() -> None:
    cell = findings_cell([
        Finding(path="claims[0].killed.low", value=20, verdict=Verdict.exact),
        Finding(path="claims[0].date.date", value=dt.date(2017, 8, 15), verdict=Verdict.unsupported),
        Finding(path="claims[0].place.province", value="Idlib", verdict=Verdict.unsupported),
    ]).plain
    # the same display as the findings table of `llmextract ground` (grounding.report.show_value)
    assert cell.splitlines() == ["1 ok", "unsupported: date.date=2017-08-15", 'unsupported: place.province="Idlib"']


def _choices(command: str, dest: str) -> tuple[str, ...]:
    import argparse

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    action = next(a for a in sub.choices[command]._actions if a.dest == dest)
    return tuple(action.choices or ())


def test_the_endpoint_options_offer_what_the_library_accepts() -> None:
    from llmextract.config import PROFILES
    from llmextract.grounding import POLICIES

    for command in ("extract", "batch"):
        assert _choices(command, "profile") == PROFILES
        assert _choices(command, "policy") == POLICIES  # llmextract.choices: one spelling, no grounding at --help


# --------------------------------------------------------------------------- the ecosystem's habits

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "articles" / "001_7324fdaa959f27c2.txt"
DATED = "date 2018-01-01\n\nLocal sources said 14 civilians were killed in an airstrike on Hajin on Monday."


class Terminal(io.StringIO):
    """Standard output as a terminal would be."""

    def isatty(self) -> bool:
        return True


def _run(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LLMEXTRACT_", "OPENAI_"))}
    done = subprocess.run([sys.executable, "-m", "llmextract.cli", *args], capture_output=True, timeout=120,
                          input=stdin.encode() if isinstance(stdin, str) else stdin, env={**base, **(env or {})},
                          cwd=ROOT)
    return _decoded(done)


def _decoded(done: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode("utf-8", "replace"),
                                       done.stderr.decode("utf-8", "replace"))


def test_llmextract_alone_prints_the_help_and_version_prints_the_version() -> None:
    alone = _run()
    assert alone.returncode == 0 and alone.stderr == ""  # before: "error: the following arguments are required"
    assert alone.stdout.startswith("usage: llmextract") and "extract" in alone.stdout and "eval" in alone.stdout
    version = _run("--version")
    from llmextract._version import __version__

    assert version.returncode == 0 and version.stdout.strip() == f"llmextract {__version__}"


def test_every_command_has_a_one_line_description_and_an_example() -> None:
    import argparse

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) >= {"extract", "ground", "batch", "serve", "eval", "review", "export"}
    for name, parser in sub.choices.items():
        text = parser.format_help()
        assert parser.description and "\n" not in parser.description.strip(), name
        assert f"\n  llmextract {name} " in text, f"{name}: no example in its help"
        assert name in EXAMPLES


def test_extract_json_is_always_a_list(tmp_path: Path) -> None:
    one = _run("extract", str(SAMPLE), "--format", "json")
    assert one.returncode in (0, 1), one.stderr
    data = json.loads(one.stdout)
    assert isinstance(data, list) and len(data) == 1 and data[0]["source"] == str(SAMPLE)  # before: an object


def test_extract_reads_standard_input_and_the_published_date_overrides_the_texts() -> None:
    done = _run("extract", "-", "--format", "json", "--published", "2019-05-08", stdin=DATED)
    assert done.returncode in (0, 1), done.stderr
    [record] = json.loads(done.stdout)
    assert record["source"] == "-" and record["article_id"] == "stdin"
    assert record["published"] == "2019-05-08"  # the text says 2018-01-01
    assert record["claims"][0]["date"]["date"] == "2019-05-06"  # "on Monday" resolved against the given date
    stated = json.loads(_run("extract", "-", "--format", "json", stdin=DATED).stdout)[0]
    assert stated["published"] == "2018-01-01"
    bad = _run("extract", "-", "--published", "last week", stdin=DATED)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and "YYYY-MM-DD" in bad.stderr


def test_extract_writes_csv_rows_from_the_review_export(tmp_path: Path) -> None:
    from llmextract.review.export import COLUMNS

    target = tmp_path / "claims.csv"
    done = _run("extract", str(SAMPLE), "-o", str(target))  # the format follows the suffix
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout == ""
    import csv

    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert list(rows[0]) == list(COLUMNS) and rows[0]["article_id"] == SAMPLE.stem and len(rows) >= 3
    assert {r["claim_index"] for r in rows} == {str(i) for i in range(len(rows))}


def test_output_dash_is_standard_output_and_a_piped_default_is_json_lines(tmp_path: Path) -> None:
    piped = _run("extract", str(SAMPLE), "-o", "-")
    lines = piped.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["article_id"] == SAMPLE.stem  # no table into a pipe
    assert not (ROOT / "-").exists()


@pytest.mark.parametrize(("target", "says"), [
    ("{tmp}", "is a directory"),
    ("{tmp}/no/such/folder/out.json", "no such folder"),
    ("/dev/full", "the disk is full"),
])
def test_an_unwritable_output_is_one_line_and_exit_2(tmp_path: Path, target: str, says: str) -> None:
    done = _run("extract", str(SAMPLE), "--format", "json", "-o", target.format(tmp=tmp_path))
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("llmextract: ") and says in lines[0], done.stderr
    assert "Traceback" not in done.stderr and len([ln for ln in lines if "No model" not in ln]) == 1


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmextract.cli.output import Output
    from llmextract.errors import OutputError

    target = tmp_path / "results.json"
    target.write_text("the old results\n", encoding="utf-8")

    with pytest.raises(OutputError, match="the disk is full"), Output(target).open() as fh:
        fh.write("half of the new")
        raise OSError(28, "No space left on device")
    assert target.read_text(encoding="utf-8") == "the old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]


def test_colour_and_tables_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    from llmextract.cli.render import console
    from llmextract.schema import Finding, Verdict

    cell = findings_cell([Finding(path="claims[0].killed.low", value=20, verdict=Verdict.unsupported)])
    monkeypatch.delenv("NO_COLOR", raising=False)
    term = Terminal()
    console(term).print(cell)
    assert "\x1b[" in term.getvalue()  # colour on a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    term = Terminal()
    console(term).print(cell)
    assert "\x1b[" not in term.getvalue() and "unsupported" in term.getvalue()
    monkeypatch.delenv("NO_COLOR")
    piped = io.StringIO()
    console(piped).print(cell)
    assert "\x1b[" not in piped.getvalue()


def test_the_default_format_is_a_table_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("LLMEXTRACT_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    term = Terminal()
    monkeypatch.setattr(sys, "stdout", term)
    assert main(["extract", str(SAMPLE)]) in (0, 1)
    shown = term.getvalue()
    assert "┏" in shown and " claim(s)" in shown and "No model was used" in shown  # a table, not JSON
    assert "\x1b[" not in shown
