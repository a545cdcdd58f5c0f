"""Bad input gets one clear line and exit 2 from the CLI, a typed InputError from the library."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmextract import extract
from llmextract.errors import InputError
from llmextract.io import MAX_BYTES, read_article

BAD_FILES = {
    "empty.txt": (b"", "empty"),
    "blank.txt": (b"   \n\t\n  ", "empty"),
    "binary.bin": (bytes(range(256)) * 4, "binary"),
    "latin1.txt": ("Twenty civilians in Hajīn were killed".encode("latin-1", "replace") + b"\xe9\xff", "not UTF-8"),
    "controls.txt": (b"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11" * 20, "binary"),
}


@pytest.fixture()
def bad_dir(tmp_path: Path) -> Path:
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    big = tmp_path / "huge.txt"
    with big.open("wb") as fh:  # 20 MB of real-looking text
        line = b"Twenty civilians were killed in airstrikes on the town of Hajin, local sources said.\n"
        fh.write(line * (20_000_000 // len(line) + 1))
    return tmp_path


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_read_article_names_the_problem(bad_dir: Path, name: str) -> None:
    with pytest.raises(InputError) as err:
        read_article(bad_dir / name)
    assert BAD_FILES[name][1] in str(err.value)
    assert name in str(err.value)


def test_huge_and_missing(bad_dir: Path) -> None:
    with pytest.raises(InputError, match="too large"):
        read_article(bad_dir / "huge.txt")
    with pytest.raises(InputError, match="no such file"):
        read_article(bad_dir / "missing.txt")
    with pytest.raises(InputError, match="directory"):
        read_article(bad_dir)


def test_library_refuses_blank_and_oversized_text() -> None:
    with pytest.raises(InputError, match="empty"):
        extract("   \n ")
    with pytest.raises(InputError, match="too large"):
        extract("x" * (MAX_BYTES + 1))
    with pytest.raises(InputError, match="binary"):
        extract("abc\x00def")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llmextract.cli", *args], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})


@pytest.mark.parametrize("name", [*sorted(BAD_FILES), "huge.txt", "missing.txt"])
def test_cli_one_line_exit_2(bad_dir: Path, name: str) -> None:
    proc = _cli("extract", str(bad_dir / name))
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("llmextract: "), proc.stderr
    assert "Traceback" not in proc.stderr
    assert name in lines[0]
    assert proc.stdout == ""  # nothing was extracted, so nothing (not even the no-model line) is said of it


def test_cli_bad_usage_exit_2() -> None:
    proc = _cli("extract")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    proc = _cli("extract", "--format", "yaml", "x.txt")
    assert proc.returncode == 2


def test_cli_good_and_bad_files_together(bad_dir: Path, hajin: str) -> None:
    good = bad_dir / "good.txt"
    good.write_text(hajin, encoding="utf-8")
    proc = _cli("extract", "--format", "jsonl", str(good), str(bad_dir / "empty.txt"))
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == 1  # the good article's result is not lost
    assert "empty" in proc.stderr
    assert "No model was used" in proc.stderr  # jsonl keeps stdout for data; the note goes to stderr



# --------------------------------------------------------------------------- what is not a regular file


def _one_line(proc: subprocess.CompletedProcess[str], says: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("llmextract: ") and says in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_named_pipe_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "article.txt"
    os.mkfifo(fifo)
    _one_line(_cli("extract", str(fifo)), "named pipe")  # before: blocked forever (the subprocess timeout)
    with pytest.raises(InputError, match="named pipe"):
        read_article(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_refused_not_read_without_end() -> None:
    _one_line(_cli("extract", "/dev/zero"), "character device")  # before: memory grew until a MemoryError


def test_standard_input_is_read_no_further_than_the_limit() -> None:
    with open("/dev/zero", "rb") as zero:  # an endless stream: only limit + 1 bytes may be read
        proc = subprocess.run([sys.executable, "-m", "llmextract.cli", "extract", "-"], stdin=zero,
                              capture_output=True, text=True, timeout=120,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())})
    _one_line(proc, "too large: more than 2,000,000 bytes")
    with pytest.raises(InputError, match="too large"):
        read_article("-", stdin=io.BytesIO(b"x" * (MAX_BYTES + 10)))


def test_links_that_lead_nowhere_are_named(tmp_path: Path) -> None:
    loop_a, loop_b = tmp_path / "a.txt", tmp_path / "b.txt"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    _one_line(_cli("extract", str(loop_a)), "symbolic link loop")  # before: "no such file"
    dangling = tmp_path / "gone.txt"
    dangling.symlink_to(tmp_path / "deleted.txt")
    with pytest.raises(InputError, match="symbolic link to a missing file"):
        read_article(dangling)
    with pytest.raises(InputError, match="is a directory"):
        read_article(tmp_path)


def test_utf16_with_its_mark_is_read_and_without_it_is_named(tmp_path: Path, hajin: str) -> None:
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        path = tmp_path / f"{codec}.txt"
        data = hajin.encode(codec)
        path.write_bytes(data if codec != "utf-16-be" else b"\xfe\xff" + data)
        assert read_article(path).text == hajin  # before: "binary: the file holds NUL bytes"
    bare = tmp_path / "bare.txt"
    bare.write_bytes(hajin.encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16 without a byte-order mark"):
        read_article(bare)


def test_a_utf8_mark_and_deep_nesting_in_json(tmp_path: Path) -> None:
    from llmextract.io import MAX_JSON_DEPTH, load_json, read_json

    marked = tmp_path / "extraction.json"
    marked.write_bytes(b"\xef\xbb\xbf" + json.dumps({"claims": []}).encode())
    assert read_json(marked) == {"claims": []}
    deep = "[" * 1000 + "]" * 1000
    with pytest.raises(InputError, match=f"nested deeper than {MAX_JSON_DEPTH}"):
        load_json(deep, source="deep.json")  # before: RecursionError from the parser or the walk after it
    assert load_json('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') is not None


def test_one_line_for_an_unwritable_output_with_a_bad_input_too(tmp_path: Path) -> None:
    proc = _cli("extract", str(tmp_path / "missing.txt"), "-o", str(tmp_path))
    _one_line(proc, "is a directory")  # the output is checked before any work


_TWINS = [("s", "\u017f"), ("S", "\u017f"), ("k", "\u212a"), ("i", "\u0130"), ("I", "\u0131"), ("fi", "\ufb01")]


@pytest.mark.parametrize(("plain", "twin"), _TWINS)
def test_letters_that_only_case_fold_to_ascii_break_nothing(plain: str, twin: str) -> None:
    # a long s, the Kelvin sign, dotted and dotless i, a ligature: every one of them, everywhere in the samples
    samples = sorted((Path(__file__).resolve().parent.parent / "examples" / "articles").glob("*.txt"))
    assert samples
    for path in samples:
        text = path.read_text(encoding="utf-8").replace(plain, twin)
        result = extract(text)
        for claim in result.claims:
            for ev in claim.evidence:
                assert ev.start is None or text[ev.start:ev.end] == ev.quote
