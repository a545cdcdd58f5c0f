"""The prompt templates, kept as files, and their content hash.

A template set is a directory::

    system.j2             the system message
    user.j2               the user message for one article (and its hints)
    examples/NAME.txt     a few-shot article (a first line ``date YYYY-MM-DD`` sets its published date)
    examples/NAME.json    its gold ClaimList, sent as the assistant's answer

The directory is ``$LLMEXTRACT_PROMPTS`` when set, else the ``prompts/`` folder installed
inside the package (in a source checkout ``llmextract/prompts`` is a symlink to the top-level
``prompts/``, which setuptools copies into wheels as package data), else the top-level
``prompts/`` beside the package.

:attr:`PromptSet.hash` is a sha256 over every file of the set (by relative name and bytes)
and over the JSON schema of :class:`~llmextract.schema.ClaimList`: a result whose
``provenance.prompt_hash`` matches another's was asked the same question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

from llmextract.errors import ConfigError
from llmextract.schema import Article, ClaimList, claimlist_schema

ENV_VAR = "LLMEXTRACT_PROMPTS"
REQUIRED = ("system.j2", "user.j2")



def default_prompts_dir() -> Path:
    """Where the templates are: ``$LLMEXTRACT_PROMPTS``, else the packaged copy, else top-level ``prompts/``."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parent.parent
    packaged = package / "prompts"  # a symlink to ../prompts in a checkout; a real dir in a wheel
    top_level = package.parent / "prompts"
    for candidate in (packaged, top_level):
        if all((candidate / name).is_file() for name in REQUIRED):
            return candidate
    return top_level


def schema_json() -> str:
    """The JSON schema of ClaimList, serialised canonically (it is part of the prompt hash)."""
    return json.dumps(claimlist_schema(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _template_files(root: Path) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        if path.is_file():
            files.append(path)
    return files


@dataclass(frozen=True)
class Example:
    """One few-shot example: an article and the ClaimList a careful reader would extract."""

    name: str
    article: Article
    answer: str  # the gold ClaimList, as compact JSON


@dataclass
class PromptSet:
    """A loaded template set. Build one with :meth:`load`."""

    root: Path
    _env: jinja2.Environment = field(repr=False)

    @classmethod
    def load(cls, root: str | os.PathLike[str] | None = None) -> PromptSet:
        """Load the set at ``root`` (default: :func:`default_prompts_dir`); ConfigError if incomplete."""
        path = Path(root).expanduser() if root is not None else default_prompts_dir()
        if not path.is_dir():
            raise ConfigError(f"prompt templates not found: {path} is not a directory (set {ENV_VAR})")
        missing = [name for name in REQUIRED if not (path / name).is_file()]
        if missing:
            raise ConfigError(f"prompt templates incomplete: {path} lacks {', '.join(missing)}")
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(path)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
            # the set is what :attr:`hash` read at load: a template edited on disk mid-run is not picked
            # up (its hash, the cache's key, would no longer say what was sent), nor stat'ed on each render
            auto_reload=False,
        )
        prompt_set = cls(root=path, _env=env)
        prompt_set.examples  # noqa: B018 - parse the examples now, so a broken one fails at load time
        return prompt_set

    @cached_property
    def hash(self) -> str:
        """sha256 (hex) over the files' relative names and bytes and the ClaimList schema."""
        digest = hashlib.sha256()
        for path in _template_files(self.root):
            rel = path.relative_to(self.root).as_posix().encode("utf-8")
            data = path.read_bytes()
            digest.update(b"file\0" + rel + b"\0" + str(len(data)).encode() + b"\0" + data)
        schema = schema_json().encode("utf-8")
        digest.update(b"schema\0" + str(len(schema)).encode() + b"\0" + schema)
        return digest.hexdigest()

    @cached_property
    def examples(self) -> list[Example]:
        """The few-shot examples, sorted by name; each needs NAME.txt and NAME.json."""
        folder = self.root / "examples"
        if not folder.is_dir():
            return []
        out = []
        for text_path in sorted(folder.glob("*.txt")):
            gold_path = text_path.with_suffix(".json")
            if not gold_path.is_file():
                raise ConfigError(f"few-shot example {text_path.name} has no gold answer {gold_path.name}")
            try:
                gold = json.loads(gold_path.read_text(encoding="utf-8"))
                ClaimList.model_validate(gold)
            except ValueError as exc:
                raise ConfigError(f"few-shot answer {gold_path} is not a valid ClaimList: {exc}") from exc
            article = Article(text=text_path.read_text(encoding="utf-8"), id=text_path.stem)
            answer = json.dumps(gold, ensure_ascii=False, separators=(",", ":"))
            out.append(Example(name=text_path.stem, article=article, answer=answer))
        return out

    def _context(self, article: Article, hints: Sequence[str] | None) -> dict[str, Any]:
        published: dt.date | None = article.published
        return {
            "article": article,
            "text": article.text.strip("\n"),
            "published": published.isoformat() if published else None,
            "weekday": published.strftime("%A") if published else None,
            "hints": [h for h in (hints or []) if h and h.strip()],
        }

    def render_system(self) -> str:
        return self._env.get_template("system.j2").render(examples=self.examples).strip()

    def render_user(self, article: Article, hints: Sequence[str] | None = None) -> str:
        return self._env.get_template("user.j2").render(**self._context(article, hints)).strip()

    @cached_property
    def _head(self) -> tuple[tuple[str, str], ...]:
        """(role, content) of the messages before the article's: the same on every call, rendered once."""
        head = [("system", self.render_system())]
        for example in self.examples:
            head += [("user", self.render_user(example.article)), ("assistant", example.answer)]
        return tuple(head)

    def render(self, article: Article, hints: Sequence[str] | None = None) -> list[dict[str, str]]:
        """Chat messages: the system message, each example as a user/assistant pair, then the article."""
        messages = [{"role": role, "content": content} for role, content in self._head]
        messages.append({"role": "user", "content": self.render_user(article, hints)})
        return messages


def load_prompts(root: str | os.PathLike[str] | None = None) -> PromptSet:
    """Load the template set at ``root`` (default: :func:`default_prompts_dir`)."""
    return PromptSet.load(root)
