"""The batch output under faults (issue 12): resume redoes failures, whole lines only, one lock, compaction,
the input never overwritten, output errors in one line, records to standard output, who made a file."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_batch import FakeExtractor, ids_in, make_articles, start_driver, wait_for_lines, write_jsonl

from llmextract.batch import BatchEndpoint, BatchSummary, read_records, run_batch
from llmextract.batch.output import _Writer
from llmextract.errors import EndpointError, OutputError
from llmextract.schema import Article
from llmextract.testing.scripted import echo_claims, scripted_server


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LLMEXTRACT_BASE_URL", "OPENAI_BASE_URL")}
    env["LLMEXTRACT_CACHE_DIR"] = str(tmp_path / "cache")
    return env


def cli(*args: str, env: dict[str, str], cwd: Path | None = None,
        timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "llmextract.cli", "batch", *args], capture_output=True,
                          timeout=timeout, env=env, cwd=cwd)


def cli_popen(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "llmextract.cli", "batch", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def one_line(stderr: bytes) -> str:
    """The stderr of a refusal: exactly one line, no traceback."""
    text = stderr.decode()
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in text, text
    return lines[0]


def model_args(url: str, model: str = "scripted-model") -> list[str]:
    return ["--endpoint", url, "--model", model, "--profile", "json", "--no-progress", "--summary", "json"]


# --------------------------------------------------------------------------- resume: what counts as done


async def test_resume_retries_failed_articles_and_ends_with_one_record_each(tmp_path: Path) -> None:
    articles = make_articles(10)
    out = tmp_path / "o.jsonl"
    down = EndpointError("HTTP 503", attempts=4, status_code=503)
    first = await run_batch(articles, [FakeExtractor(fail={"a0002": down, "a0005": down})], out)
    assert first.failed == 2
    fake = FakeExtractor()
    again = await run_batch(articles, [fake], out, resume=True)
    assert fake.calls == 2 and again.skipped == 8 and again.ok == 2  # the failed two, and only them
    assert ids_in(out) == {a.id: 1 for a in articles}  # compacted: one line per article, superseded errors gone
    assert all(r["status"] == "ok" for r in read_records(out, latest=False))


async def test_skip_failed_keeps_the_error_records(tmp_path: Path) -> None:
    articles = make_articles(6)
    out = tmp_path / "o.jsonl"
    await run_batch(articles, [FakeExtractor(fail={"a0001": EndpointError("down", attempts=1)})], out)
    fake = FakeExtractor()
    summary = await run_batch(articles, [fake], out, resume=True, skip_failed=True)
    assert fake.calls == 0 and summary.skipped == 6
    assert {r["id"]: r["status"] for r in read_records(out)}["a0001"] == "error"


async def test_a_line_counts_as_done_only_when_it_parses_whole(tmp_path: Path) -> None:
    articles = make_articles(10)
    out = tmp_path / "o.jsonl"
    await run_batch(articles, [FakeExtractor()], out, concurrency=1)
    lines = out.read_bytes().splitlines(keepends=True)
    assert len(lines) == 10
    lines[3] = lines[3][:-1] + b'garbage appended"}\n'  # a whole line with text after it
    lines[6] = lines[6][:120] + b"\n"  # torn in the middle of the file, id and hash intact
    out.write_bytes(b"".join(lines))
    fake = FakeExtractor()
    summary = await run_batch(articles, [fake], out, resume=True)
    assert fake.calls == 2 and summary.skipped == 8
    assert ids_in(out) == {a.id: 1 for a in articles}
    for line in out.read_bytes().splitlines():
        assert json.loads(line)["status"] == "ok"  # the broken lines are gone


def test_readers_take_the_last_line_per_id(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text('{"id": "x", "status": "error", "error": {"kind": "endpoint"}}\n'
                   '{"id": "y", "status": "ok", "result": {}}\n'
                   '{"id": "x", "status": "ok", "result": {}}\n'
                   '{"id": "z", "status": "ok", "res\n', encoding="utf-8")
    assert [(r["id"], r["status"]) for r in read_records(out)] == [("y", "ok"), ("x", "ok")]
    assert [r["id"] for r in read_records(out, latest=False)] == ["x", "y", "x"]


async def test_compaction_replaces_the_file_whole_or_not_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    import llmextract.batch.output as output

    articles = make_articles(5)
    out = tmp_path / "o.jsonl"
    await run_batch(articles, [FakeExtractor(fail={"a0001": EndpointError("down", attempts=1)})], out)
    before = os.stat(out).st_ino

    def refuse(src: Any, dst: Any) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(output.os, "replace", refuse)
    await run_batch(articles, [FakeExtractor()], out, resume=True)  # the rename fails: the appended file stays
    assert ids_in(out) == {"a0000": 1, "a0001": 2, "a0002": 1, "a0003": 1, "a0004": 1}
    assert {r["id"]: r["status"] for r in read_records(out)}["a0001"] == "ok"  # a reader sees the current one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.jsonl"]  # no temporary file, no lock file left
    monkeypatch.undo()
    await run_batch(articles, [FakeExtractor()], out, resume=True)
    assert ids_in(out) == {a.id: 1 for a in articles}
    assert os.stat(out).st_ino != before  # a new file renamed over the old one, not rewritten in place


# --------------------------------------------------------------------------- the lock


def test_a_second_run_refuses_naming_the_holder_and_concurrent_resumes_write_nothing_twice(tmp_path: Path) -> None:
    articles = make_articles(40)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    env = cli_env(tmp_path)
    # slow enough (40 articles, 4 at a time, 1 s each) that the first run still holds the output while the
    # second and third start (each a new interpreter)
    with scripted_server(responder=echo_claims, latency_s=1.0) as server:
        first = start_driver(tmp_path, server.url, src, out, resume=False)
        try:
            wait_for_lines(out, 2, first)
            for flag in ("--resume", "--overwrite"):
                proc = cli(str(src), "-o", str(out), flag, "--no-cache", *model_args(server.url), env=env)
                assert proc.returncode == 2
                line = one_line(proc.stderr)
                assert "in use by another batch run" in line and f"pid {first.pid}" in line, line
            stdout, stderr = first.communicate(timeout=120)
            assert first.returncode == 0, stderr.decode()
        finally:
            if first.poll() is None:
                first.kill()
        assert ids_in(out) == {a.id: 1 for a in articles}
        # two resumed runs at once on an unfinished output: each article is sent once, written once
        lines = out.read_bytes().splitlines(keepends=True)
        out.write_bytes(b"".join(lines[:10]))
        server.reset()
        procs = [cli_popen(str(src), "-o", str(out), "--resume", "--no-cache", *model_args(server.url), env=env)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in procs]
        codes = sorted(code for code, _ in results)
        assert codes in ([0, 0], [0, 2]), results
        assert all("in use by another batch run" in err for code, err in results if code == 2)
        assert server.count == 30  # the 30 missing ones, once each
    assert ids_in(out) == {a.id: 1 for a in articles}


def test_two_runs_started_together_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    articles = make_articles(40)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    env = cli_env(tmp_path)
    # a run takes 5 s (40 articles, 4 at a time, 0.5 s each): far longer than the two starts are apart
    with scripted_server(responder=echo_claims, latency_s=0.5) as server:
        procs = [cli_popen(str(src), "-o", str(out), "--overwrite", "--no-cache", *model_args(server.url), env=env)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in procs]
        assert server.count == 40  # one run did the work; the other sent nothing
    assert sorted(code for code, _ in results) == [0, 2], results
    assert all("in use by another batch run" in err for code, err in results if code == 2)
    assert ids_in(out) == {a.id: 1 for a in articles}
    assert not (tmp_path / "out.jsonl.lock").exists()


# --------------------------------------------------------------------------- the input is never the output


@pytest.mark.parametrize("how", ["hard link", "symlink"])
def test_the_input_linked_as_the_output_is_refused(tmp_path: Path, how: str) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(3))
    original = src.read_bytes()
    out = tmp_path / "results.jsonl"
    (os.link if how == "hard link" else os.symlink)(src, out)
    proc = cli(str(src), "-o", str(out), "--overwrite", "--no-progress", env=cli_env(tmp_path))
    assert proc.returncode == 2
    assert "same file" in one_line(proc.stderr)
    assert src.read_bytes() == original


def test_an_output_among_the_input_folders_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for a in make_articles(2):
        (folder / f"{a.id}.txt").write_text(a.text, encoding="utf-8")
    before = (folder / "a0001.txt").read_bytes()
    proc = cli(str(folder), "-o", str(folder / "a0001.txt"), "--overwrite", "--no-progress", env=cli_env(tmp_path))
    assert proc.returncode == 2 and "one of the input's files" in one_line(proc.stderr)
    assert (folder / "a0001.txt").read_bytes() == before


# --------------------------------------------------------------------------- outputs that cannot be written


def test_an_unusable_output_is_one_line(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", make_articles(3))
    env = cli_env(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    cases = {
        str(tmp_path / "adir"): "folder",
        str(tmp_path / "afile" / "out.jsonl"): "Not a directory",
        "/dev/full": "No space left on device",
    }
    for target, needle in cases.items():
        proc = cli(str(src), "-o", target, "--overwrite", "--no-progress", env=env)
        assert proc.returncode == 2, proc.stderr.decode()
        line = one_line(proc.stderr)
        assert needle in line and target in line, line


async def test_a_full_disk_loses_no_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmextract.batch.cache import CacheScope, ResponseCache

    articles = make_articles(8)
    out = tmp_path / "o.jsonl"
    cache = ResponseCache(tmp_path / "c.sqlite3")
    scope = CacheScope.of("http://e/v1", "m", "p")
    real = _Writer.write

    def fills_up(self: _Writer, record: dict[str, Any], result: Any = None) -> None:
        if self.written >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(self, record, result)

    monkeypatch.setattr(_Writer, "write", fills_up)
    first = FakeExtractor()
    with pytest.raises(OutputError, match="No space left on device.*3 record"):
        await run_batch(articles, [BatchEndpoint(first, "e", scope)], out, concurrency=1, cache=cache)
    assert ids_in(out) == {"a0000": 1, "a0001": 1, "a0002": 1}  # what was written is whole
    assert not (tmp_path / "o.jsonl.lock").exists()
    monkeypatch.undo()
    second = FakeExtractor()
    summary = await run_batch(articles, [BatchEndpoint(second, "e", scope)], out, resume=True, cache=cache)
    # the fourth result was made before the disk filled: it comes from the cache, not a new request
    assert summary.skipped == 3 and summary.cached == first.calls - 3 == 1 and second.calls == 4
    assert ids_in(out) == {a.id: 1 for a in articles}
    cache.close()


def test_records_to_standard_output(tmp_path: Path) -> None:
    articles = make_articles(4)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    proc = cli(str(src), "-o", "-", "--no-progress", "--summary", "json", env=cli_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert sorted(r["id"] for r in records) == [a.id for a in articles]
    assert all(r["status"] == "ok" for r in records)
    summary = BatchSummary.model_validate_json(proc.stderr.decode().strip().splitlines()[-1])
    assert summary.articles == 4 and summary.out == "<stdout>"
    assert not (tmp_path / "-").exists()
    proc = cli(str(src), "--output", "-", "--resume", "--no-progress", env=cli_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == 2 and "cannot be resumed" in one_line(proc.stderr)


# --------------------------------------------------------------------------- who made an output


def test_resume_refuses_an_output_made_by_another_model_or_endpoint(tmp_path: Path) -> None:
    articles = make_articles(6)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    env = cli_env(tmp_path)
    with scripted_server(responder=echo_claims) as one, scripted_server(responder=echo_claims) as two:
        proc = cli(str(src), "-o", str(out), "--no-cache", *model_args(one.url, "model-a"), env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        assert {r["model"] for r in read_records(out)} == {"model-a"}
        assert {r["endpoint"] for r in read_records(out)} == {one.url}
        out.write_bytes(b"".join(out.read_bytes().splitlines(keepends=True)[:3]))
        sent = one.count + two.count
        proc = cli(str(src), "-o", str(out), "--resume", "--no-cache", *model_args(one.url, "model-b"), env=env)
        assert proc.returncode == 2
        line = one_line(proc.stderr)
        assert "model-a" in line and "model-b" in line, line
        proc = cli(str(src), "-o", str(out), "--resume", "--no-cache", *model_args(two.url, "model-a"), env=env)
        assert proc.returncode == 2
        line = one_line(proc.stderr)
        assert one.url in line and two.url in line, line
        assert one.count + two.count == sent  # refused before anything was sent
        proc = cli(str(src), "-o", str(out), "--resume", "--no-cache", *model_args(one.url, "model-a"), env=env)
        assert proc.returncode == 0, proc.stderr.decode()
    assert ids_in(out) == {a.id: 1 for a in articles}


# --------------------------------------------------------------------------- what a record holds


async def test_records_carry_the_articles_url_title_and_outlet(tmp_path: Path) -> None:
    from llmextract.review.results import read_results

    articles = [Article(id=f"m{i}", text=f"Four people were killed in Hajin, report {i}.", url=f"https://x.test/{i}",
                        title=f"Title {i}", outlet="Outlet") for i in range(3)]
    out = tmp_path / "o.jsonl"
    await run_batch(articles, [FakeExtractor(fail={"m2": EndpointError("down", attempts=1)})], out)
    records = {r["id"]: r for r in read_records(out)}
    for i in range(3):
        r = records[f"m{i}"]
        assert (r["url"], r["title"], r["outlet"]) == (f"https://x.test/{i}", f"Title {i}", "Outlet")
    assert records["m2"]["status"] == "error"
    got = {rec.article_id: rec for rec in read_results(out)}
    assert got["m1"].url == "https://x.test/1" and got["m1"].title == "Title 1" and got["m1"].outlet == "Outlet"


def test_a_lock_left_by_a_killed_run_does_not_block(tmp_path: Path) -> None:
    articles = make_articles(20)
    src = write_jsonl(tmp_path / "in.jsonl", articles)
    out = tmp_path / "out.jsonl"
    with scripted_server(responder=echo_claims, latency_s=0.1) as server:
        proc = start_driver(tmp_path, server.url, src, out, resume=False)
        try:
            wait_for_lines(out, 2, proc)
            proc.kill()
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert (tmp_path / "out.jsonl.lock").exists()  # left behind by the kill, its lock released by the kernel
        proc = start_driver(tmp_path, server.url, src, out, resume=True)
        stdout, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 0, stderr.decode()
    assert ids_in(out) == {a.id: 1 for a in articles}
    assert not (tmp_path / "out.jsonl.lock").exists()


def test_digest_tables_hold_what_a_set_and_a_dict_hold() -> None:
    import random

    from llmextract.batch.digests import DigestMap, DigestSet, digest

    rng = random.Random(7)
    table, reference = DigestMap(), {}
    for i in range(30_000):  # several doublings, keys seen again and again
        key, value = digest("id", i % 9_000), rng.randrange(2**64)
        assert table.put(key, value) == (key not in reference)
        reference[key] = value
    assert len(table) == len(reference) == 9_000 and dict(table.items()) == reference
    assert table.get(digest("id", "never")) is None and digest("id", "never") not in table
    seen = DigestSet()
    keys = [digest(i) for i in range(5_000)]
    assert all(seen.add(k) for k in keys) and not any(seen.add(k) for k in keys)
    assert set(seen) == set(keys) and len(seen) == 5_000


def test_two_names_of_one_output_share_its_lock(tmp_path: Path) -> None:
    from llmextract.batch.output import _OutputLock

    real = tmp_path / "real.jsonl"
    real.touch()
    alias = tmp_path / "alias.jsonl"
    alias.symlink_to(real)
    with _OutputLock(real), pytest.raises(OutputError, match=f"in use by another batch run \\(pid {os.getpid()}\\)"):
        _OutputLock(alias).acquire()
    with _OutputLock(alias):  # released: free again
        pass
