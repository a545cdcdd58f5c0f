"""The project's cassettes: replays equal the recordings, misses are explained, nothing secret is stored.

Every test here is offline: cassettes replay in record mode ``none`` and scripted endpoints run on
loopback. ``test_replays_pass_with_the_network_blocked`` runs the replay tests again in a
subprocess inside a network namespace with no interfaces up (``unshare -rn``).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from llmextract.config import EndpointConfig
from llmextract.errors import CassetteError, EndpointError, ModelOutputError
from llmextract.pipeline import Pipeline
from llmextract.testing import PLACEHOLDER_URL, CassetteMiss, scripted_server, use_cassette
from llmextract.testing.cassettes import KEEP_REQUEST_HEADERS, SECRET_HEADERS
from llmextract.testing.scripted import echo_claims, http_error

ROOT = Path(__file__).resolve().parent.parent


def _load_record_script() -> Any:
    """``scripts/record_cassettes.py``, the maintainer's tool that records (and here replays) the cassettes."""
    path = ROOT / "scripts" / "record_cassettes.py"
    spec = importlib.util.spec_from_file_location("record_cassettes", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


record_cassettes = _load_record_script()
CASSETTE_DIR = record_cassettes.CASSETTE_DIR
CassetteSpec = record_cassettes.CassetteSpec
cassette_paths = record_cassettes.cassette_paths
load_expected = record_cassettes.load_expected
project_specs = record_cassettes.project_specs
replay = record_cassettes.replay
rerecord_command = record_cassettes.rerecord_command
SPECS = project_specs(ROOT)
SPEC_IDS = [s.name for s in SPECS]
FAKE_KEY = "sk-test-FAKE-1234567890"
BLOCKED_ENV = "LLMX_NETWORK_BLOCKED"  # set in the subprocess that runs under unshare -n
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STALE_CASSETTE = "llamacpp-001_7324fdaa959f27c2"  # llamacpp: the schema travels in response_format too


def _recorded(spec: CassetteSpec) -> bool:
    return all(p.is_file() for p in cassette_paths(ROOT, spec.name))


# --------------------------------------------------------------------------- the set of cassettes


def test_the_project_keeps_live_and_scripted_cassettes() -> None:
    names = {s.name for s in SPECS}
    stems = sorted(p.stem for p in (ROOT / "examples" / "articles").glob("*.txt"))
    assert len(stems) == 5
    for stem in stems:  # every sample article, through each profile llama.cpp supports
        assert {f"llamacpp-{stem}", f"json-{stem}"} <= names
    scripted = [s for s in SPECS if s.scripted]
    assert {s.source for s in scripted} == {"scripted-reask", "scripted-retry"}
    for spec in SPECS:  # a cassette from a scripted endpoint says so in its name
        assert spec.name.startswith("scripted-") == spec.scripted, spec.name


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_every_cassette_is_recorded_with_its_expected_result(spec: CassetteSpec) -> None:
    cassette, expected = cassette_paths(ROOT, spec.name)
    assert cassette.is_file(), f"{cassette} is missing; record it with: {rerecord_command(spec.name)}"
    assert expected.is_file(), f"{expected} is missing; record it with: {rerecord_command(spec.name)}"
    stored = load_expected(ROOT, spec.name)
    for key in ("name", "article", "profile", "source", "policy"):
        assert stored["spec"][key] == getattr(spec, key), key
    assert stored["outcome"] in ("result", "error")
    assert "latency_s" not in json.dumps(stored)
    assert cassette.stat().st_size < 200_000  # a cassette stays small enough to review


def test_no_orphan_files_in_the_cassette_folder() -> None:
    names = {s.name for s in SPECS}
    for path in (ROOT / CASSETTE_DIR).iterdir():
        if path.suffix in (".yaml", ".json"):
            assert path.stem in names, f"{path.name} belongs to no cassette spec (record_cassettes.project_specs)"


# --------------------------------------------------------------------------- replay equals recording


def _compare_results(recorded: dict[str, Any], replayed: dict[str, Any]) -> None:
    """Field by field, claim by claim, finding by finding; the first difference names its path."""
    assert replayed.keys() == recorded.keys()
    for key in ("article_id", "content_hash", "published"):
        assert replayed[key] == recorded[key], key
    assert len(replayed["claims"]) == len(recorded["claims"]), "number of claims"
    for i, (got, want) in enumerate(zip(replayed["claims"], recorded["claims"], strict=True)):
        assert got.keys() == want.keys(), f"claims[{i}] fields"
        for name in want:
            assert got[name] == want[name], f"claims[{i}].{name}"
    assert len(replayed["findings"]) == len(recorded["findings"]), "number of findings"
    for j, (got, want) in enumerate(zip(replayed["findings"], recorded["findings"], strict=True)):
        assert got == want, f"findings[{j}] ({want['path']})"
    assert replayed["dropped"] == recorded["dropped"], "dropped claims"
    for name in recorded["provenance"]:
        assert replayed["provenance"][name] == recorded["provenance"][name], f"provenance.{name}"
    assert replayed == recorded


@pytest.mark.parametrize("spec", SPECS, ids=SPEC_IDS)
def test_replay_equals_recording(spec: CassetteSpec, no_connections: list[Any]) -> None:
    if not _recorded(spec):
        pytest.fail(f"{spec.name} is not recorded; record it with: {rerecord_command(spec.name)}")
    stored = load_expected(ROOT, spec.name)
    outcome = replay(CassetteSpec.from_json(stored["spec"]), ROOT)
    assert outcome["outcome"] == stored["outcome"]
    if stored["outcome"] == "result":
        _compare_results(stored["result"], outcome["result"])
        provenance = outcome["result"]["provenance"]
        assert provenance["model_used"] is True and provenance["endpoint"] == PLACEHOLDER_URL
        assert provenance["profile"] == spec.profile
    else:
        assert outcome["error"] == stored["error"]
    assert no_connections == []


def test_scripted_reask_replays_the_grounding_reask() -> None:
    stored = load_expected(ROOT, "scripted-reask-001_7324fdaa959f27c2")
    provenance = stored["result"]["provenance"]
    assert provenance["attempts"] == 2  # the first reply (17 "women and children") failed grounding
    assert '"low": 17' in provenance["raw_replies"][0]
    claim = stored["result"]["claims"][0]
    assert (claim["children_killed"]["low"], claim["women_killed"]["low"], claim["killed"]) == (9, 8, None)
    assert all(f["verdict"] != "unsupported" for f in stored["result"]["findings"])


def test_scripted_retry_replays_the_503_then_the_answer() -> None:
    cassette, _ = cassette_paths(ROOT, "scripted-retry-003_292ba422c2383963")
    data = yaml.load(cassette.read_text(encoding="utf-8"), Loader=_LOADER)
    statuses = [i["response"]["status"]["code"] for i in data["interactions"]
                if i["request"]["uri"].endswith("/chat/completions")]
    assert statuses == [503, 200]
    assert load_expected(ROOT, "scripted-retry-003_292ba422c2383963")["result"]["claims"][0]["killed"]["low"] == 50


# --------------------------------------------------------------------------- misses: diagnosis, no network


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing socket connection attempt, recorded and refused."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            return real_connect(self, address)
        attempts.append(address)
        raise ConnectionRefusedError(f"test: no connection allowed to {address}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: attempts.append(address) or 111)
    return attempts


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening loopback socket nobody should connect to."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _nobody_connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return True
    conn.close()
    return False


def _stale_setup(tmp_path: Path) -> tuple[CassetteSpec, Path]:
    spec = next(s for s in SPECS if s.name == STALE_CASSETTE)
    if not _recorded(spec):
        pytest.fail(f"{spec.name} is not recorded; record it with: {rerecord_command(spec.name)}")
    source, _ = cassette_paths(ROOT, spec.name)
    copy_path = tmp_path / source.name
    shutil.copyfile(source, copy_path)
    return CassetteSpec.from_json(load_expected(ROOT, spec.name)["spec"]), copy_path


def _run_against(spec: CassetteSpec, cassette: Path, base_url: str, *, text_suffix: str = "",
                 model: str | None = None, schema_change: bool = False) -> tuple[Exception, int]:
    """Extract under a replay-only cassette; the error raised and how many misses the cassette saw."""
    config = EndpointConfig(base_url=base_url, model=model or spec.model, profile=spec.profile,
                            max_tokens=spec.max_tokens, reask_budget=spec.reask_budget,
                            transport_retries=3)  # a miss must not be retried as a transport error
    text = (ROOT / spec.article).read_text(encoding="utf-8") + text_suffix
    with pytest.raises(CassetteError) as caught:
        with use_cassette(cassette, record_mode="none", rerecord_command=rerecord_command(spec.name),
                          name=spec.name) as session:
            with Pipeline(config, policy=spec.policy) as pipeline:
                pipeline.llm._sleep = lambda s: None
                if schema_change:
                    schema = copy.deepcopy(pipeline.llm._schema)
                    schema["description"] = "A changed schema."
                    pipeline.llm._schema = schema
                pipeline.run(text)
    return caught.value, len(session.misses)


def _check_miss(error: Exception, misses: int, listener: socket.socket, spec: CassetteSpec) -> str:
    assert isinstance(error, CassetteMiss)
    assert not isinstance(error, EndpointError | ModelOutputError)  # not hidden by the client or retry layers
    assert misses == 1  # raised once: neither the transport retries nor the re-asks sent it again
    assert _nobody_connected(listener)
    message = str(error)
    assert spec.name in message and "nothing was sent to the network" in message
    assert f"Re-record it with:\n    {rerecord_command(spec.name)}" in message
    assert "Traceback" not in message and "vcr" not in message.lower().replace("vcrpy", "")
    return message


def test_changed_model_misses_with_diagnosis(tmp_path: Path, listener: socket.socket) -> None:
    spec, cassette = _stale_setup(tmp_path)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    error, misses = _run_against(spec, cassette, url, model="SmolLM2-1.7B-Instruct")
    message = _check_miss(error, misses, listener, spec)
    assert "model: recorded 'SmolLM2-135M-Instruct', now 'SmolLM2-1.7B-Instruct'" in message
    assert error.reason == "changed" and "article" not in "\n".join(error.differences)


def test_changed_article_misses_with_diagnosis(tmp_path: Path, listener: socket.socket) -> None:
    spec, cassette = _stale_setup(tmp_path)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    error, misses = _run_against(spec, cassette, url, text_suffix="\nA late paragraph that was not recorded.\n")
    message = _check_miss(error, misses, listener, spec)
    assert "article text: first difference at character" in message
    assert "model:" not in message and "schema:" not in message and "prompt template" not in message


def test_changed_schema_misses_with_diagnosis(tmp_path: Path, listener: socket.socket) -> None:
    spec, cassette = _stale_setup(tmp_path)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    error, misses = _run_against(spec, cassette, url, schema_change=True)
    message = _check_miss(error, misses, listener, spec)
    assert re.search(r"schema: recorded [0-9a-f]{12}, now [0-9a-f]{12}", message)
    assert "model:" not in message and "article" not in message


def test_changed_prompt_template_misses_with_diagnosis(tmp_path: Path, listener: socket.socket,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    spec, cassette = _stale_setup(tmp_path)
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts, ignore=shutil.ignore_patterns("__pycache__"))
    system = prompts / "system.j2"
    system.write_text(system.read_text(encoding="utf-8").replace(
        "Rules:", "Rules:\n0. Answer in English.", 1), encoding="utf-8")
    monkeypatch.setenv("LLMEXTRACT_PROMPTS", str(prompts))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    error, misses = _run_against(spec, cassette, url)
    message = _check_miss(error, misses, listener, spec)
    assert re.search(r"prompt template \(system message and few-shot turns\): recorded [0-9a-f]{12}, "
                     r"now [0-9a-f]{12}", message)
    assert re.search(r"prompt templates changed since recording: prompt hash [0-9a-f]{12} recorded", message)
    assert "model:" not in message and "article" not in message


def test_missing_cassette_fails_without_network(tmp_path: Path, listener: socket.socket) -> None:
    spec = next(s for s in SPECS if s.name == STALE_CASSETTE)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    error, misses = _run_against(spec, tmp_path / "never-recorded.yaml", url)
    message = _check_miss(error, misses, listener, spec)
    assert error.reason == "missing" and "does not exist" in message
    assert not (tmp_path / "never-recorded.yaml").exists()  # a replay never writes


def test_a_swallowed_miss_is_raised_on_leaving_the_cassette(tmp_path: Path) -> None:
    client = openai.OpenAI(base_url=PLACEHOLDER_URL, api_key="unused", max_retries=0)
    with pytest.raises(CassetteMiss, match="swallowed"):
        with use_cassette(tmp_path / "empty.yaml", record_mode="none"):
            try:
                client.models.list()
            except CassetteMiss:
                pass  # code under test that catches every error must not hide a miss


def test_a_replayed_request_cannot_be_replayed_twice(tmp_path: Path) -> None:
    with scripted_server(responder=echo_claims) as server:
        client = openai.OpenAI(base_url=server.url, api_key="unused", max_retries=0)
        with use_cassette(tmp_path / "twice.yaml", record_mode="once"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    client = openai.OpenAI(base_url=PLACEHOLDER_URL, api_key="unused", max_retries=0)
    with pytest.raises(CassetteMiss, match="already replayed 1 time") as caught:
        with use_cassette(tmp_path / "twice.yaml", record_mode="none"):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.reason == "already_played"


def test_matching_ignores_key_order_host_port_and_client_headers(tmp_path: Path) -> None:
    with scripted_server(responder=echo_claims) as server:
        client = openai.OpenAI(base_url=server.url, api_key=FAKE_KEY, max_retries=0)
        with use_cassette(tmp_path / "order.yaml", record_mode="once"):
            first = client.chat.completions.create(model="m", temperature=0,
                                                   messages=[{"role": "user", "content": "50 people were killed"}])
    other = openai.OpenAI(base_url="http://elsewhere.invalid:9999/prefix/v1", api_key="another-key",
                          max_retries=0, default_headers={"X-Client": "other"})
    with use_cassette(tmp_path / "order.yaml", record_mode="none") as session:
        again = other.chat.completions.create(messages=[{"content": "50 people were killed", "role": "user"}],
                                              temperature=0, model="m")
    assert again.choices[0].message.content == first.choices[0].message.content
    assert session.played == 1


# --------------------------------------------------------------------------- secrets


_SECRET_PATTERNS = (
    re.compile(r"\bsk-(?!REDACTED)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)bearer\s+(?!REDACTED)[A-Za-z0-9._~+/=\-]{8,}"),
    re.compile(re.escape(FAKE_KEY)),
    re.compile(r"FAKE-1234567890"),
)


def _cassette_files(root: Path) -> list[Path]:
    skip = {".git", ".venv", "venv", "node_modules", ".tox", "build", "dist", "__pycache__"}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.startswith(".pytest")]
        if "cassettes" in Path(dirpath).relative_to(root).parts:
            found += [Path(dirpath) / f for f in filenames if f.endswith((".yaml", ".yml", ".json"))]
    return sorted(found)


def _secrets_in(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    problems = [f"{path.name}: matches {p.pattern}" for p in _SECRET_PATTERNS if p.search(text)]
    for name in ("LLMEXTRACT_API_KEY", "OPENAI_API_KEY"):
        value = os.environ.get(name, "")
        if len(value) >= 8 and value in text:
            problems.append(f"{path.name}: holds the value of ${name}")
    if path.suffix in (".yaml", ".yml"):
        data = yaml.load(text, Loader=_LOADER) or {}
        for n, interaction in enumerate(data.get("interactions", [])):
            request, response = interaction["request"], interaction["response"]
            headers = {h.lower() for h in request.get("headers", {})}
            if headers - KEEP_REQUEST_HEADERS:
                problems.append(f"{path.name}[{n}]: request headers {sorted(headers - KEEP_REQUEST_HEADERS)}")
            if {h.lower() for h in response.get("headers", {})} & SECRET_HEADERS:
                problems.append(f"{path.name}[{n}]: a secret response header")
            if "@" in request["uri"].split("/")[2] or re.search(r"[?&](?:api[-_]?key|key|token)=(?!REDACTED)",
                                                                 request["uri"], re.I):
                problems.append(f"{path.name}[{n}]: credentials in the URL")
    return problems


def test_no_cassette_in_the_repository_holds_a_secret() -> None:
    files = _cassette_files(ROOT)
    assert any(f.suffix == ".yaml" for f in files)  # the scan looks where the cassettes are
    problems = [p for f in files for p in _secrets_in(f)]
    assert problems == []


def test_secrets_are_scrubbed_at_record_time(tmp_path: Path) -> None:
    cassette = tmp_path / "secrets.yaml"
    article = ("Local sources said 50 people were killed on Monday. A leaked key " + FAKE_KEY + " and "
               "Bearer abcdefghijklmnop123 appeared in the text.")
    with scripted_server(script=[None, http_error(  # type: ignore[list-item]
            401, body=json.dumps({"error": {"message": f"Incorrect API key provided: {FAKE_KEY}"}}))],
            responder=echo_claims) as server:
        client = openai.OpenAI(
            base_url=server.url.replace("http://", "http://user:pass-word-123@"), api_key=FAKE_KEY, max_retries=0,
            default_headers={"api-key": FAKE_KEY, "Cookie": "session=cookie-secret-123456",
                             "X-Tenant-Token": "tenant-secret-123456"},
            default_query={"key": "query-secret-123456", "api-version": "2024-06-01"})
        with use_cassette(cassette, record_mode="once", secret_headers=["X-Tenant-Token"],
                          keep_headers=["X-Tenant-Token", "X-Trace"]) as session:
            ok = client.chat.completions.create(model="m", messages=[{"role": "user", "content": article}])
            with pytest.raises(openai.AuthenticationError):
                client.chat.completions.create(model="m", messages=[{"role": "user", "content": "again"}])
        assert session.recorded == 2
    text = cassette.read_text(encoding="utf-8")
    for secret in (FAKE_KEY, "FAKE-1234567890", "pass-word-123", "cookie-secret", "tenant-secret",
                   "query-secret", "abcdefghijklmnop123"):
        assert secret not in text, secret
    assert _secrets_in(cassette) == []
    assert "api-version=2024-06-01" in text  # an ordinary query parameter stays
    data = yaml.load(text, Loader=_LOADER)
    assert all(set(i["request"]["headers"]) <= {"content-type"} for i in data["interactions"])
    # The scrubbed cassette still replays (matching sees the same scrubbing).
    replayer = openai.OpenAI(base_url=PLACEHOLDER_URL, api_key=FAKE_KEY, max_retries=0)
    with use_cassette(cassette, record_mode="none"):
        again = replayer.chat.completions.create(model="m", messages=[{"role": "user", "content": article}])
    assert again.choices[0].message.content == ok.choices[0].message.content


# --------------------------------------------------------------------------- network blocked


def _unshare_prefix() -> list[str] | None:
    exe = shutil.which("unshare")
    if exe is None:
        return None
    for flags in (["-rn"], ["-n"]):
        try:
            done = subprocess.run([exe, *flags, "true"], capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return [exe, *flags]
    return None


@pytest.mark.skipif(os.environ.get(BLOCKED_ENV) != "1", reason="runs only inside the network-blocked subprocess")
def test_the_network_is_really_blocked_here() -> None:
    with pytest.raises(OSError):
        socket.create_connection(("1.1.1.1", 53), timeout=2)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", 9), timeout=2)


@pytest.mark.skipif(os.environ.get(BLOCKED_ENV) == "1", reason="already inside the network-blocked subprocess")
def test_replays_pass_with_the_network_blocked(tmp_path: Path) -> None:
    prefix = _unshare_prefix()
    if prefix is None:
        pytest.skip("unshare cannot make a network namespace here (no util-linux unshare, or user namespaces "
                    "are disabled); run `unshare -rn pytest tests/test_cassettes.py` where it can")
    env = {**os.environ, BLOCKED_ENV: "1"}
    env.pop("LLMEXTRACT_LIVE_URL", None)
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         str(Path(__file__)), "-k", "replay_equals or really_blocked or misses or missing or holds_a_secret"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and "failed" not in summary and "error" not in summary, summary
    assert int(re.search(r"(\d+) passed", summary).group(1)) >= len(SPECS) + 6  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the async path, the record script


async def test_the_async_path_records_and_replays(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "articles" / "003_292ba422c2383963.txt").read_text(encoding="utf-8")
    with scripted_server(responder=echo_claims) as server:
        with use_cassette(tmp_path / "async.yaml", record_mode="once") as session:
            async with _apipeline(server.url) as pipeline:
                recorded = await pipeline.arun(text)
        assert session.recorded == 2 and server.count == 1
    with use_cassette(tmp_path / "async.yaml", record_mode="none") as session:
        async with _apipeline(PLACEHOLDER_URL) as pipeline:
            replayed = await pipeline.arun(text)
    assert session.played == 2 and session.all_played
    assert replayed.claims == recorded.claims and replayed.findings == recorded.findings
    with pytest.raises(CassetteMiss, match="article text: first difference") as caught:
        with use_cassette(tmp_path / "async.yaml", record_mode="none") as session:
            async with _apipeline(PLACEHOLDER_URL) as pipeline:
                await pipeline.arun(text + "\nMore.")
    assert not isinstance(caught.value, EndpointError | ModelOutputError) and len(session.misses) == 1


class _apipeline:  # noqa: N801 - used like a function
    def __init__(self, url: str) -> None:
        self.pipeline = Pipeline(EndpointConfig(base_url=url, profile="json"), policy="flag")

    async def __aenter__(self) -> Pipeline:
        return self.pipeline

    async def __aexit__(self, *exc: object) -> None:
        await self.pipeline.aclose()


def test_the_record_script_rerecords_the_scripted_cassettes_in_one_step(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "checkout"
    shutil.copytree(ROOT / "examples" / "articles", root / "examples" / "articles")
    (root / CASSETTE_DIR).mkdir()
    shutil.copyfile(ROOT / "pyproject.toml", root / "pyproject.toml")

    assert record_cassettes.main(["--root", str(root), "--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == SPEC_IDS
    assert all(line.endswith("(not recorded)") for line in listed)

    assert record_cassettes.main(["--root", str(root), "--only", "scripted-*"]) == 0
    out = capsys.readouterr().out
    assert "2 of 2 cassette(s) written" in out and out.count("replay matches") == 2
    for spec in SPECS:
        if spec.scripted:  # the same run, recorded again, gives the committed expectation
            fresh = json.loads(cassette_paths(root, spec.name)[1].read_text(encoding="utf-8"))
            assert fresh == load_expected(ROOT, spec.name)
            assert _secrets_in(cassette_paths(root, spec.name)[0]) == []
        else:
            assert not cassette_paths(root, spec.name)[0].exists()
