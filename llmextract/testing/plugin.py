"""pytest plugin: test code built on llmextract against recorded LLM traffic (cassettes).

Installed with llmextract and loaded by pytest through the ``pytest11`` entry point::

    import pytest
    from llmextract import extract

    @pytest.mark.llmx_cassette("hajin-strike")
    def test_hajin(llmx_endpoint):
        result = extract(open("hajin.txt").read(), endpoint=llmx_endpoint, model="my-model")
        assert result.claims[0].killed.low == 20

Record once against a live endpoint, then replay forever (no network)::

    pytest --llmx-record=once --llmx-endpoint http://127.0.0.1:8080/v1   # writes cassettes/hajin-strike.yaml
    pytest                                                                # replays; sends nothing

Options: ``--llmx-record=none|once|new_episodes|all`` (default ``none``, or the ``llmx_record``
ini value), ``--llmx-cassette-dir`` (or ini ``llmx_cassette_dir``, relative to the rootdir;
default: ``cassettes/`` next to each test file), ``--llmx-endpoint`` (or ``$LLMEXTRACT_LIVE_URL``):
the endpoint recordings are made against. Ini ``llmx_secret_headers`` and ``llmx_secrets_env``
name more headers and environment variables whose values must never be written.

Fixtures: ``llmx_cassette`` (the :class:`~llmextract.testing.CassetteSession` the test runs
under; requesting it, or using the marker, activates the cassette), ``llmx_endpoint`` (the live
endpoint while recording, a placeholder that nothing answers while replaying) and
``llmx_record_mode``.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from llmextract.testing._common import PLACEHOLDER_URL, RECORD_MODES

if TYPE_CHECKING:
    from llmextract.testing.cassettes import CassetteSession

_LIVE_ENV = "LLMEXTRACT_LIVE_URL"
_MARKER = "llmx_cassette"
_SESSION = pytest.StashKey["CassetteSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("llmextract", "llmextract cassettes (recorded LLM traffic)")
    group.addoption("--llmx-record", dest="llmx_record", choices=RECORD_MODES, default=None,
                    help="cassette record mode: none (replay only, the default), once (record missing "
                         "cassettes), new_episodes (record requests not in the cassette), all (re-record)")
    group.addoption("--llmx-cassette-dir", dest="llmx_cassette_dir", default=None,
                    help="directory of the cassettes (default: ini llmx_cassette_dir, else cassettes/ "
                         "next to each test file)")
    group.addoption("--llmx-endpoint", dest="llmx_endpoint", default=None,
                    help=f"OpenAI-compatible base URL to record against (default: ${_LIVE_ENV})")
    parser.addini("llmx_record", "default cassette record mode (none, once, new_episodes, all)", default="none")
    parser.addini("llmx_cassette_dir", "cassette directory, relative to the rootdir", default="")
    parser.addini("llmx_secret_headers", "more request headers whose values must never be recorded",
                  type="linelist", default=[])
    parser.addini("llmx_secrets_env", "environment variables whose values are scrubbed from cassettes",
                  type="linelist", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(name=None, *, record=None, allow_playback_repeats=False): run the test under the "
        "llmextract cassette NAME (default: <test module>/<test name>); record overrides the record mode "
        "unless --llmx-record is given",
    )
    mode = config.getoption("llmx_record") or config.getini("llmx_record") or "none"
    if mode not in RECORD_MODES:
        raise pytest.UsageError(f"llmx_record = {mode!r}: choose one of {', '.join(RECORD_MODES)}")


def pytest_report_header(config: pytest.Config) -> str | None:
    mode = config.getoption("llmx_record") or config.getini("llmx_record") or "none"
    if mode == "none":
        return None
    live = config.getoption("llmx_endpoint") or os.environ.get(_LIVE_ENV) or "(none given)"
    return f"llmextract cassettes: record mode {mode}, endpoint {live}"


# --------------------------------------------------------------------------- helpers


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("_") or "cassette"


def _cassette_dir(request: pytest.FixtureRequest) -> Path:
    config = request.config
    option = config.getoption("llmx_cassette_dir")
    if option:
        return Path(option).expanduser().resolve()
    ini = config.getini("llmx_cassette_dir")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return (base / str(ini)).resolve()
    return Path(request.node.path).parent / "cassettes"


def _marker(request: pytest.FixtureRequest) -> Any:
    return request.node.get_closest_marker(_MARKER)


def _cassette_name(request: pytest.FixtureRequest) -> str:
    marker = _marker(request)
    name = None
    if marker is not None:
        name = marker.args[0] if marker.args else marker.kwargs.get("name")
    if name:
        return str(name)
    module = Path(request.node.path).stem
    return f"{module}/{_safe(request.node.name)}"


def _live_url(config: pytest.Config) -> str | None:
    return config.getoption("llmx_endpoint") or os.environ.get(_LIVE_ENV) or None


def _rerecord_command(request: pytest.FixtureRequest, mode: str) -> str:
    config = request.config
    parts = ["pytest", shlex.quote(request.node.nodeid), f"--llmx-record={mode}"]
    if not os.environ.get(_LIVE_ENV):
        parts.append(f"--llmx-endpoint {shlex.quote(_live_url(config) or 'URL_OF_A_LIVE_ENDPOINT')}")
    option_dir = config.getoption("llmx_cassette_dir")
    if option_dir:
        parts.append(f"--llmx-cassette-dir {shlex.quote(str(option_dir))}")
    command = " ".join(parts)
    if Path.cwd().resolve() != config.rootpath.resolve():
        command = f"cd {shlex.quote(str(config.rootpath))} && {command}"
    return command


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def llmx_record_mode(request: pytest.FixtureRequest) -> str:
    """The record mode this test's cassette runs in."""
    config = request.config
    option = config.getoption("llmx_record")
    if option:
        return str(option)
    marker = _marker(request)
    if marker is not None and marker.kwargs.get("record"):
        mode = str(marker.kwargs["record"])
        if mode not in RECORD_MODES:
            raise pytest.UsageError(f"{request.node.nodeid}: record={mode!r}: choose one of {', '.join(RECORD_MODES)}")
        return mode
    return str(config.getini("llmx_record") or "none")


@pytest.fixture
def llmx_cassette(request: pytest.FixtureRequest, llmx_record_mode: str) -> Iterator[CassetteSession]:
    """Run the test under its cassette; yields the :class:`~llmextract.testing.CassetteSession`."""
    from llmextract.testing.cassettes import use_cassette

    name = _cassette_name(request)
    path = _cassette_dir(request) / (name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    marker = _marker(request)
    command = _rerecord_command(request, "once" if not path.is_file() else "all")
    with use_cassette(
        path,
        record_mode=llmx_record_mode,
        rerecord_command=command,
        name=name,
        secret_headers=request.config.getini("llmx_secret_headers"),
        secret_env=request.config.getini("llmx_secrets_env"),
        allow_playback_repeats=bool(marker.kwargs.get("allow_playback_repeats")) if marker is not None else False,
    ) as session:
        request.node.stash[_SESSION] = session
        yield session


@pytest.fixture(autouse=True)
def _llmx_cassette_marker(request: pytest.FixtureRequest) -> None:
    """Activate the cassette of a test marked ``llmx_cassette`` that does not ask for the fixture."""
    if _marker(request) is not None:
        request.getfixturevalue("llmx_cassette")


@pytest.fixture
def llmx_endpoint(request: pytest.FixtureRequest, llmx_cassette: CassetteSession) -> str:
    """The base URL to give the extractor: the live endpoint while recording, a placeholder while replaying."""
    mode = llmx_cassette.record_mode
    may_record = mode in ("new_episodes", "all") or (mode == "once" and not llmx_cassette.existed)
    if not may_record:
        return PLACEHOLDER_URL
    live = _live_url(request.config)
    if not live:
        pytest.fail(f"recording cassette {llmx_cassette.name!r} (record mode {mode}) needs a live endpoint: "
                    f"pass --llmx-endpoint URL or set {_LIVE_ENV} (`llmextract serve` starts a local one)",
                    pytrace=False)
    return live


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A cassette miss is reported by its diagnosis and the test's own frames, not the HTTP client's depths."""
    report = yield
    excinfo = call.excinfo
    if excinfo is None:
        return report
    from llmextract.errors import CassetteError

    if not excinfo.errisinstance(CassetteError):
        return report
    session = item.stash.get(_SESSION, None)
    if session is not None:
        session.surfaced = True  # the test failed with it: the fixture need not raise it again
    report.longrepr = _miss_report(item, excinfo)
    return report


def _miss_report(item: pytest.Item, excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The diagnosis, then the frames of the user's own code (none from libraries or the standard library)."""
    package = Path(__file__).resolve().parent.parent
    root = item.config.rootpath.resolve()
    frames = []
    for entry in excinfo.traceback:
        path = Path(str(entry.path)).resolve()
        if "site-packages" in path.parts or path.is_relative_to(package) or not path.is_relative_to(root):
            continue
        statement = str(entry.statement).strip().splitlines()
        frames.append(f"{path.relative_to(root)}:{entry.lineno + 1}: in {entry.name}")
        if statement:
            frames.append(f"    {statement[0]}")
    error = excinfo.value
    text = f"{type(error).__module__}.{type(error).__name__}: {error}"
    return text + ("\n\nraised from:\n" + "\n".join(frames) if frames else "")
