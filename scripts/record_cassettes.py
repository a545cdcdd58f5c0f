#!/usr/bin/env python3
"""Re-record this repository's own cassettes (``cassettes/``): a maintainer's tool, not part of the package.

What the cassettes hold, how to record them again, how to replay them::

    python scripts/record_cassettes.py                       # starts the local llama.cpp server itself (n_ctx 8192)
    python scripts/record_cassettes.py --endpoint URL        # or records against a running endpoint
    python scripts/record_cassettes.py --only 'scripted-*'   # a subset (shell-style patterns); --list shows names
    python scripts/record_cassettes.py --replay-only         # no network: replay, rewrite the expected results

Run it with the project's virtualenv (``.venv/bin/python scripts/record_cassettes.py``): it
imports the installed llmextract. ``tests/test_cassettes.py`` imports this file by its path to
replay the cassettes with the same settings they were recorded with.

Each cassette ``cassettes/NAME.yaml`` comes with ``cassettes/NAME.json``: the run's settings
(article, profile, model, token cap, policy) and what the extraction gave (the ExtractionResult
without its latency, or the error). The tests replay every cassette and compare.

Cassettes named ``PROFILE-ARTICLE`` are recorded from the local server (``llmextract serve``,
SmolLM2-135M) for each structured-output profile that llama.cpp supports: ``llamacpp``
(json_object with the schema, grammar-constrained) and ``json`` (json_object, the schema in the
system prompt). llama-cpp-python's server does not take ``response_format`` of type
``json_schema``, so the ``openai``/``vllm``/``ollama`` profiles are not recorded against it.
Cassettes named ``scripted-...`` come from :mod:`llmextract.testing.scripted`'s scripted endpoint, which
serves chosen replies (a first answer that fails grounding, then a fixed one; a 503, then an answer).

During recording the extractor is configured with the placeholder URL
(:data:`~llmextract.testing.cassettes.PLACEHOLDER_URL`) and a transport forwards its requests to the live
endpoint, so a replay, which uses the same URL, reproduces the result exactly.

Nothing is half written: a cassette and its ``.json`` are recorded into a temporary folder inside
``cassettes/``, both scrubbed of every form of every secret the recording saw (see
:mod:`llmextract.secrets`), the replay is checked there, and only then are both renamed over the
old files. A recording that fails (the endpoint refused, the replay differs, an error) leaves the
old files as they were, and the summary counts only the cassettes written.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llmextract.errors import ArticleTimeoutError, ConfigError, EndpointError, LLMExtractError, ModelOutputError
from llmextract.testing.cassettes import PLACEHOLDER_URL, env_secrets, use_cassette

logger = logging.getLogger(__name__)

LIVE_PROFILES: tuple[str, ...] = ("json", "llamacpp")
#: The completion token cap of the live recordings: SmolLM2-135M may ramble until the context is full.
LIVE_MAX_TOKENS = 512
#: The local server's context: the prompt (system, schema, one few-shot example, the article) is ~4,500 tokens.
RECORD_N_CTX = 8192
RECORD_TIMEOUT = 900.0  # seconds per request: a 2-core machine evaluates the first prompt slowly
CASSETTE_DIR = "cassettes"
ARTICLE_DIR = "examples/articles"


@dataclass(frozen=True)
class CassetteSpec:
    """One recorded run: which article, through which source and settings."""

    name: str
    article: str  # path relative to the project root
    profile: str
    source: str  # "serve" (the live local endpoint) or "scripted-reask" / "scripted-retry"
    model: str | None = None  # None: the first model GET /models lists
    policy: str = "flag"
    max_tokens: int | None = LIVE_MAX_TOKENS
    reask_budget: int = 1
    transport_retries: int = 0

    @property
    def scripted(self) -> bool:
        return self.source.startswith("scripted")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CassetteSpec:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class RecordReport:
    """What recording (or replaying) one cassette gave."""

    spec: CassetteSpec
    interactions: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)
    replay_ok: bool | None = None
    problem: str = ""
    written: bool = False  # the cassette and its .json were renamed into place

    def summary(self) -> str:
        if self.problem:
            kept = "; the old files are unchanged" if not self.written else ""
            return f"{self.spec.name}: FAILED: {self.problem}{kept}"
        if self.outcome.get("outcome") == "result":
            what = f"{len(self.outcome['result']['claims'])} claim(s)"
        else:
            what = f"{self.outcome.get('error', {}).get('type', 'error')}"
        check = {True: "replay matches", False: "REPLAY DIFFERS", None: "not replayed"}[self.replay_ok]
        return f"{self.spec.name}: {self.interactions} interaction(s), {what}; {check}"


# --------------------------------------------------------------------------- where things are


def find_root(start: str | os.PathLike[str] | None = None) -> Path:
    """The llmextract checkout holding ``cassettes/`` and ``examples/articles/`` (from ``start`` upwards)."""
    here = Path(start or Path.cwd()).resolve()
    candidates = [here, *here.parents, Path(__file__).resolve().parent.parent]
    for folder in candidates:
        if (folder / ARTICLE_DIR).is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    raise ConfigError("not inside a checkout of llmextract (no examples/articles/ found); run it from the "
                      "project directory or pass --root")


def cassette_paths(root: Path, name: str) -> tuple[Path, Path]:
    """The cassette file and its expected-result file."""
    folder = root / CASSETTE_DIR
    return folder / f"{name}.yaml", folder / f"{name}.json"


def rerecord_command(name: str) -> str:
    """The command that records the cassette ``name`` again (quoted in a miss's message)."""
    return f"python scripts/record_cassettes.py --only {name}"


def project_specs(root: Path) -> list[CassetteSpec]:
    """Every cassette the project keeps, in recording order (an article's profiles share a prompt cache)."""
    articles = sorted((root / ARTICLE_DIR).glob("*.txt"))
    specs = [
        CassetteSpec(name=f"{profile}-{path.stem}", article=path.relative_to(root).as_posix(), profile=profile,
                     source="serve")
        for path in articles for profile in LIVE_PROFILES
    ]
    by_stem = {p.stem: p.relative_to(root).as_posix() for p in articles}
    hajin, baghouz = "001_7324fdaa959f27c2", "003_292ba422c2383963"
    if hajin in by_stem:
        specs.append(CassetteSpec(name=f"scripted-reask-{hajin}", article=by_stem[hajin], profile="json",
                                  source="scripted-reask", policy="strict", max_tokens=None, reask_budget=1))
    if baghouz in by_stem:
        specs.append(CassetteSpec(name=f"scripted-retry-{baghouz}", article=by_stem[baghouz], profile="json",
                                  source="scripted-retry", max_tokens=None, reask_budget=0, transport_retries=1))
    return specs


def select(specs: Sequence[CassetteSpec], patterns: Sequence[str] | None) -> list[CassetteSpec]:
    """The specs whose name matches one of the shell-style ``patterns`` (all when none is given)."""
    if not patterns:
        return list(specs)
    chosen = [s for s in specs if any(fnmatch.fnmatchcase(s.name, p) for p in patterns)]
    if not chosen:
        raise ConfigError(f"no cassette matches {', '.join(patterns)}; --list shows the names")
    return chosen


# --------------------------------------------------------------------------- running one spec


def forwarding_client(target: str, *, placeholder: str = PLACEHOLDER_URL, timeout: float = RECORD_TIMEOUT) -> Any:
    """An ``httpx2.Client`` that sends requests made for ``placeholder`` to ``target`` instead.

    vcrpy sees (and records) the forwarded request, so what goes into the cassette is the real
    exchange; the extractor, and so its result, only ever sees the placeholder URL.
    """
    import httpx2

    dest = urlsplit(target.rstrip("/"))
    src_path = urlsplit(placeholder.rstrip("/")).path
    dest_port = dest.port or (443 if dest.scheme == "https" else 80)

    class Forward(httpx2.HTTPTransport):
        def handle_request(self, request: Any) -> Any:
            path = request.url.path
            if path.startswith(src_path):
                path = dest.path + path[len(src_path):]
            request.url = request.url.copy_with(scheme=dest.scheme, host=dest.hostname, port=dest_port, path=path)
            request.headers["host"] = dest.netloc.rsplit("@", 1)[-1]
            return super().handle_request(request)

    return httpx2.Client(transport=Forward(), timeout=timeout, trust_env=False)


#: The errors that say the endpoint, not the model, failed: such a recording is not kept.
ENDPOINT_FAILURES: tuple[type[Exception], ...] = (EndpointError, ArticleTimeoutError)


def run_spec(spec: CassetteSpec, root: Path, *, http_client: Any = None, model: str | None = None,
             api_key: str | None = None, timeout: float = RECORD_TIMEOUT) -> dict[str, Any]:
    """Extract the spec's article through the placeholder endpoint; the outcome as stored next to the cassette.

    The outcome of a failing endpoint is ``{"outcome": "error", "error": {..., "endpoint_failed": True}}``
    (never stored). Raises whatever is not an outcome of the model or the endpoint (a cassette miss,
    a bad setting).
    """
    from pydantic import SecretStr

    from llmextract.config import NO_KEY, EndpointConfig
    from llmextract.io import read_article
    from llmextract.pipeline import Pipeline

    config = EndpointConfig(base_url=PLACEHOLDER_URL, model=model or spec.model, profile=spec.profile,
                            max_tokens=spec.max_tokens, reask_budget=spec.reask_budget,
                            transport_retries=spec.transport_retries, timeout=timeout,
                            api_key=SecretStr(api_key or NO_KEY), article_timeout=None)
    article = read_article(root / spec.article)
    pipeline = Pipeline(config, policy=spec.policy, http_client=http_client)
    if pipeline.llm is not None:
        pipeline.llm._sleep = lambda seconds: None  # replays and scripted faults need no real back-off
    try:
        with pipeline:
            result = pipeline.run(article)
    except (*ENDPOINT_FAILURES, ModelOutputError) as exc:
        error = {"type": type(exc).__name__, "message": str(exc), "raw_replies": list(getattr(exc, "raw_replies", []))}
        if isinstance(exc, ENDPOINT_FAILURES):
            error["endpoint_failed"] = True
        return {"outcome": "error", "error": error}
    data = result.model_dump(mode="json")
    data["provenance"].pop("latency_s", None)
    return {"outcome": "result", "result": data}


def load_expected(root: Path, name: str) -> dict[str, Any]:
    """The stored ``cassettes/NAME.json`` (spec and outcome)."""
    _, result_path = cassette_paths(root, name)
    return json.loads(result_path.read_text(encoding="utf-8"))


def replay(spec: CassetteSpec, root: Path, cassette: Path | None = None) -> dict[str, Any]:
    """Replay the spec's cassette (or ``cassette``; record mode none: nothing reaches the network); its outcome."""
    cassette = cassette or cassette_paths(root, spec.name)[0]
    with use_cassette(cassette, record_mode="none", rerecord_command=rerecord_command(spec.name), name=spec.name):
        return run_spec(spec, root)


# --------------------------------------------------------------------------- scripted endpoints


def _reask_responder(request: Any) -> dict[str, Any]:
    """First answer: a derived figure (17) and a quote that is not in the text; after a re-ask, the fixed one."""
    if request.reasks == 0:
        return {"claims": [{
            "kind": "incident",
            "killed": {"phrase": "17 women and children", "low": 17, "high": 17, "qualifier": "exact"},
            "evidence": [{"quote": "17 women and children were killed in the market airstrike."}],
        }]}
    quote = ("Local sources, requesting anonymity, told Syria's official news agency SANA that nine children "
             "and eight women were among the dead after an airstrike targeted a local market on Saturday.")
    return {"claims": [{
        "kind": "incident",
        "attribution": {"claimant": "Local sources", "relays": ["SANA"], "outlet": None},
        "date": {"phrase": "on Saturday", "date": None, "precision": "unknown"},
        "children_killed": {"phrase": "nine children", "low": 9, "high": 9, "qualifier": "exact"},
        "women_killed": {"phrase": "eight women", "low": 8, "high": 8, "qualifier": "exact"},
        "evidence": [{"quote": quote}],
    }]}


@contextmanager
def scripted_endpoint(source: str) -> Iterator[str]:
    """A scripted OpenAI-compatible endpoint for a ``scripted-*`` spec; yields its base URL."""
    from llmextract.testing.scripted import echo_claims, http_error, scripted_server

    if source == "scripted-reask":
        server = scripted_server(responder=_reask_responder)
    elif source == "scripted-retry":
        server = scripted_server(script=[http_error(503, retry_after=0)], responder=echo_claims)
    else:
        raise ConfigError(f"unknown scripted source {source!r}")
    with server as running:
        yield running.url


# --------------------------------------------------------------------------- recording


def _expected_text(spec: CassetteSpec, outcome: dict[str, Any], scrub: Callable[[str], str] = str) -> str:
    """The ``.json`` beside a cassette: its spec and outcome, scrubbed by ``scrub`` as a whole."""
    document = {"cassette": f"{spec.name}.yaml", "spec": spec.to_json(), **outcome}
    text = scrub(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    json.loads(text)  # still JSON after scrubbing
    return text


def _write_expected(root: Path, spec: CassetteSpec, outcome: dict[str, Any]) -> None:
    from llmextract.testing.cassettes import atomic_write_text

    _, result_path = cassette_paths(root, spec.name)
    atomic_write_text(result_path, _expected_text(spec, outcome))


def record_one(spec: CassetteSpec, root: Path, endpoint: str, *, model: str | None = None,
               api_key: str | None = None, timeout: float = RECORD_TIMEOUT) -> RecordReport:
    """Record one cassette against ``endpoint``, store the outcome, check a replay; replace the old files only
    when all of it worked (``report.written``)."""
    cassette, result_path = cassette_paths(root, spec.name)
    cassette.parent.mkdir(parents=True, exist_ok=True)
    if model:
        spec = CassetteSpec(**{**spec.to_json(), "model": model})
    report = RecordReport(spec)
    work = Path(tempfile.mkdtemp(prefix=".recording-", dir=cassette.parent))
    try:
        fresh, fresh_result = work / cassette.name, work / result_path.name
        client = forwarding_client(endpoint, timeout=timeout)
        try:
            with use_cassette(fresh, record_mode="all", rerecord_command=rerecord_command(spec.name),
                              name=spec.name, secrets=[api_key] if api_key else ()) as session:
                report.outcome = run_spec(spec, root, http_client=client, api_key=api_key, timeout=timeout)
                report.interactions = session.recorded
        except Exception as exc:  # noqa: BLE001 - reported as this cassette's failure; the old files stay
            report.problem = f"{type(exc).__name__}: {session_scrub(exc, api_key)}"
            return report
        finally:
            client.close()
        error = report.outcome.get("error", {})
        if error.get("endpoint_failed"):
            report.problem = f"the endpoint failed: {session.scrubber().scrub(error.get('message', ''))}"
            return report
        text = _expected_text(spec, report.outcome, session.scrubber().scrub)
        fresh_result.write_text(text, encoding="utf-8")
        expected = {k: v for k, v in json.loads(text).items() if k not in ("cassette", "spec")}
        again = replay(spec, root, fresh)
        report.replay_ok = again == expected
        if not report.replay_ok:
            report.problem = "the replay differs from the recording (is the pipeline deterministic?)"
            return report
        os.replace(fresh, cassette)
        os.replace(fresh_result, result_path)
        report.written = True
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def session_scrub(exc: BaseException, api_key: str | None) -> str:
    """An error's text without the key (in any form) or a token."""
    from llmextract.secrets import Secrets, scrub_known

    return Secrets.collect(keys=[api_key], env=True).scrub(scrub_known(str(exc)))[:500]


def refresh_one(spec: CassetteSpec, root: Path) -> RecordReport:
    """Replay an existing cassette and rewrite its expected outcome (no network)."""
    stored = load_expected(root, spec.name) if cassette_paths(root, spec.name)[1].is_file() else {}
    if stored.get("spec"):
        spec = CassetteSpec.from_json(stored["spec"])
    report = RecordReport(spec)
    report.outcome = replay(spec, root)
    report.replay_ok = True
    _write_expected(root, spec, report.outcome)
    report.written = True
    return report


def record_project(
    root: Path,
    patterns: Sequence[str] | None = None,
    *,
    endpoint: str | None = None,
    model: str | None = None,
    timeout: float = RECORD_TIMEOUT,
    n_ctx: int = RECORD_N_CTX,
    replay_only: bool = False,
    on_report: Callable[[RecordReport], None] | None = None,
) -> list[RecordReport]:
    """Record (or, with ``replay_only``, refresh the expected results of) the selected project cassettes.

    Live specs go to ``endpoint``, or to a local llama.cpp server started for the run; scripted
    specs to their own scripted endpoint. Returns one report per cassette.
    """
    specs = select(project_specs(root), patterns)
    reports: list[RecordReport] = []

    def done(report: RecordReport) -> None:
        reports.append(report)
        if on_report is not None:
            on_report(report)

    if replay_only:
        for spec in specs:
            done(refresh_one(spec, root))
        return reports
    api_key = next(iter(env_secrets()), None)
    live = [s for s in specs if not s.scripted]
    with ExitStack() as stack:
        url = endpoint
        if live and url is None:
            from llmextract.serve import local_server

            logger.info("starting the local server (n_ctx %d) for %d cassette(s)", n_ctx, len(live))
            url = stack.enter_context(local_server(n_ctx=n_ctx))
        for spec in live:
            assert url is not None
            done(record_one(spec, root, url, model=model, api_key=api_key if endpoint else None, timeout=timeout))
    for spec in specs:
        if spec.scripted:
            with scripted_endpoint(spec.source) as url:
                done(record_one(spec, root, url, timeout=30.0))
    return reports


# --------------------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python scripts/record_cassettes.py",
        description="Re-record the project's own cassettes in one step. Without --endpoint a local llama.cpp "
                    f"server (SmolLM2-135M, n_ctx {RECORD_N_CTX}) is started for the run. Scripted cassettes "
                    "(scripted-*) are recorded from a scripted endpoint and need no model.")
    parser.add_argument("--only", action="append", metavar="PATTERN",
                        help="record only the cassettes whose name matches (shell-style; repeatable)")
    parser.add_argument("--endpoint", help="record against this OpenAI-compatible base URL instead of starting "
                        f"`llmextract serve` (it needs a context of {RECORD_N_CTX} tokens)")
    parser.add_argument("--model", help="model name (default: the endpoint's first model)")
    parser.add_argument("--timeout", type=float, default=RECORD_TIMEOUT, help="seconds per request")
    parser.add_argument("--n-ctx", type=int, default=RECORD_N_CTX, help="context size of the local server")
    parser.add_argument("--root", help="the llmextract checkout (default: found from the current directory)")
    parser.add_argument("--list", action="store_true", help="list the cassettes and exit")
    parser.add_argument("--replay-only", action="store_true",
                        help="send nothing: replay the cassettes and rewrite their expected results (after an "
                             "intended change to grounding or post-processing)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what the recording does")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """0 when every selected cassette was written and replays as recorded, 1 when one failed, 2 bad usage."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        root = find_root(args.root) if args.root else find_root()
        specs = select(project_specs(root), args.only)
    except ConfigError as exc:
        print(f"record_cassettes: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for spec in specs:
            cassette, _ = cassette_paths(root, spec.name)
            state = "" if cassette.is_file() else "  (not recorded)"
            print(f"{spec.name}  [{spec.source}, profile {spec.profile}, policy {spec.policy}]{state}")
        return 0

    def show(report: RecordReport) -> None:
        print(f"record_cassettes: {report.summary()}", flush=True)

    try:
        reports = record_project(root, args.only, endpoint=args.endpoint, model=args.model, timeout=args.timeout,
                                 n_ctx=args.n_ctx, replay_only=args.replay_only, on_report=show)
    except LLMExtractError as exc:  # the local server did not start, a replay missed its cassette
        from llmextract.secrets import scrub_known

        print(f"record_cassettes: {scrub_known(str(exc))}", file=sys.stderr)
        return 1
    bad = [r for r in reports if r.problem]
    written = sum(1 for r in reports if r.written)
    print(f"record_cassettes: {written} of {len(reports)} cassette(s) written under {root / CASSETTE_DIR}"
          + (f"; {len(bad)} failed, their old files unchanged" if bad else ""), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
