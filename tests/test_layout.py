"""The package's shape: what start-up imports, and which way imports run inside the package."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "llmextract"
#: Loaded when a model or a cassette is used, never at start-up.
HEAVY = ("openai", "instructor", "vcr")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLMEXTRACT_", "OPENAI_"))}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


def _modules_after(code: str) -> set[str]:
    """The top-level names of every module in ``sys.modules`` after running ``code`` in a fresh interpreter."""
    done = _python("-c", f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    return {line.split(".")[0] for line in done.stdout.splitlines() if line}


def _imported_by_importtime(*args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``python -X importtime ARGS``; the top-level names of every module it imported."""
    done = _python("-X", "importtime", *args)
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    return done, names


def test_import_llmextract_loads_no_model_client_cassette_library_or_terminal_drawing() -> None:
    loaded = _modules_after("import llmextract")
    assert "llmextract" in loaded  # the check sees what was imported
    assert loaded.isdisjoint({*HEAVY, "rich"}), sorted(loaded & {*HEAVY, "rich"})


@pytest.mark.parametrize("command", [[], ["extract"], ["batch"], ["eval"], ["review"], ["export"]],
                         ids=["llmextract", "extract", "batch", "eval", "review", "export"])
def test_cli_help_loads_no_model_client_cassette_library_or_terminal_drawing(command: list[str]) -> None:
    # nor pydantic: help is argparse over llmextract.choices
    done, loaded = _imported_by_importtime("-m", "llmextract.cli", *command, "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"usage: llmextract {command[0] if command else ''}" in done.stdout
    assert "llmextract" in loaded and "argparse" in loaded  # importtime listed the imports
    assert loaded.isdisjoint({*HEAVY, "rich", "pydantic"}), sorted(loaded & {*HEAVY, "rich", "pydantic"})


def test_the_pytest_plugin_and_the_testing_package_load_no_model_client_or_cassette_library() -> None:
    # The plugin is loaded by every pytest run wherever llmextract is installed.
    loaded = _modules_after("import llmextract.testing.plugin, llmextract.testing\n"
                            "assert llmextract.testing.PLACEHOLDER_URL")
    assert "pytest" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_the_testing_package_names_its_public_surface() -> None:
    import llmextract.testing as testing

    assert {"use_cassette", "CassetteMiss", "CassetteSession", "scripted_server", "PLACEHOLDER_URL"} <= set(
        testing.__all__)
    for name in testing.__all__:
        assert getattr(testing, name) is not None, name
    from llmextract.testing.cassettes import CassetteMiss, use_cassette
    from llmextract.testing.scripted import scripted_server

    assert (testing.use_cassette, testing.CassetteMiss, testing.scripted_server) == (
        use_cassette, CassetteMiss, scripted_server)
    with pytest.raises(AttributeError):
        testing.no_such_name  # noqa: B018 - the attribute access is the test


# --------------------------------------------------------------------------- import direction


def _submodules() -> set[str]:
    """Every importable name directly under the package: ``schema``, ``cli``, ``_version`` ..."""
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    return names


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(node: ast.ImportFrom, path: Path) -> str:
    """The module an ``ImportFrom`` names, relative imports resolved against ``path``."""
    if node.level == 0:
        return node.module or ""
    base = _module_name(path).split(".")
    if path.name != "__init__.py":
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports_of_the_package_init(source: str, path: Path, submodules: set[str]) -> list[str]:
    """``import llmextract`` or ``from llmextract import X`` (X not a submodule) in the source of ``path``."""
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name == "llmextract"]
        elif isinstance(node, ast.ImportFrom) and _absolute(node, path) == "llmextract":
            found += [f"line {node.lineno}: from llmextract import {a.name}" for a in node.names
                      if a.name not in submodules]
    return found


@pytest.mark.parametrize(("source", "forbidden"), [
    ("import llmextract\n", 1),
    ("import llmextract as lx\n", 1),
    ("import llmextract.schema\n", 0),
    ("from llmextract import extract, schema\n", 1),
    ("from llmextract import _version\n", 0),
    ("from .. import extract\n", 1),
    ("from ..errors import InputError\n", 0),
    ("from . import render\n", 0),
    ("if True:\n    def f():\n        from llmextract import __version__\n", 1),
])
def test_the_import_check_catches_what_it_forbids(source: str, forbidden: int) -> None:
    as_if_in = PACKAGE / "cli" / "probe.py"  # relative imports resolve as in a module of llmextract/cli/
    assert len(_imports_of_the_package_init(source, as_if_in, _submodules())) == forbidden


def test_no_module_in_the_package_imports_the_package_init() -> None:
    submodules = _submodules()
    assert {"schema", "cli", "testing", "_version"} <= submodules
    sources = sorted(PACKAGE.rglob("*.py"))
    assert len(sources) > 20
    problems = [f"{path.relative_to(ROOT)} {what}" for path in sources
                for what in _imports_of_the_package_init(path.read_text(encoding="utf-8"), path, submodules)]
    assert problems == []
