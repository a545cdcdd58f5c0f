"""The prompt templates: rendering, the few-shot example, and the content hash."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest

from llmextract.errors import ConfigError
from llmextract.extractors.prompts import ENV_VAR, PromptSet, default_prompts_dir
from llmextract.schema import Article, ClaimList

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL = ROOT / "prompts"


@pytest.fixture
def prompt_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the templates, selected through LLMEXTRACT_PROMPTS."""
    target = tmp_path / "prompts"
    shutil.copytree(TOP_LEVEL, target)
    monkeypatch.setenv(ENV_VAR, str(target))
    return target


def test_render_gives_system_examples_then_the_article() -> None:
    prompts = PromptSet.load()
    article = Article(text="date 2018-01-01\n\nTwenty civilians were killed in Hajin on Saturday.", outlet="Press TV",
                      title="Strike on Hajin")
    messages = prompts.render(article, hints=["Twenty civilians", "Hajin", "  "])
    roles = [m["role"] for m in messages]
    assert roles[0] == "system" and roles[-1] == "user"
    assert roles[1:-1] == ["user", "assistant"] * len(prompts.examples) and prompts.examples
    last = messages[-1]["content"]
    assert "Twenty civilians were killed in Hajin on Saturday." in last
    assert "2018-01-01 (Monday)" in last  # the published date and its weekday, to resolve "on Saturday"
    assert "Outlet: Press TV" in last and "Title: Strike on Hajin" in last
    assert "- Twenty civilians\n- Hajin" in last and "-   " not in last
    assert '{"claims"' in messages[0]["content"]
    # Each example's answer is its gold ClaimList and parses as one.
    for example, answer in zip(prompts.examples, messages[2:-1:2], strict=True):
        assert ClaimList.model_validate_json(answer["content"]) == ClaimList.model_validate_json(example.answer)


def test_unknown_publication_date_is_said_so() -> None:
    last = PromptSet.load().render(Article(text="Five people were killed."))[-1]["content"]
    assert "Published: unknown" in last and "Figures and names" not in last


def test_examples_are_invented_and_their_quotes_verbatim() -> None:
    prompts = PromptSet.load()
    samples = {p.read_text(encoding="utf-8") for p in (ROOT / "examples" / "articles").glob("*.txt")}
    for example in prompts.examples:
        assert example.article.text not in samples
        assert example.article.published == dt.date(2019, 3, 12)
        gold = ClaimList.model_validate_json(example.answer)
        assert {c.kind for c in gold.claims} == {"incident", "tally", "allegation"}
        for claim in gold.claims:
            for evidence in claim.evidence:
                assert evidence.quote in example.article.text
            for count in (claim.killed, claim.injured, claim.children_killed):
                if count is not None:
                    assert count.phrase in example.article.text


def test_hash_is_stable_and_covers_templates_names_and_schema(prompt_copy: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    original = PromptSet.load(TOP_LEVEL).hash
    assert len(original) == 64
    assert PromptSet.load(TOP_LEVEL).hash == original
    assert default_prompts_dir() == prompt_copy
    assert PromptSet.load().hash == original  # same bytes, other place: same hash

    user = prompt_copy / "user.j2"
    user.write_text(user.read_text(encoding="utf-8") + "\nBe brief.\n", encoding="utf-8")
    edited = PromptSet.load().hash
    assert edited != original

    (prompt_copy / "examples" / "01_shelling.txt").rename(prompt_copy / "examples" / "02_shelling.txt")
    (prompt_copy / "examples" / "01_shelling.json").rename(prompt_copy / "examples" / "02_shelling.json")
    renamed = PromptSet.load().hash
    assert renamed not in (original, edited)

    import llmextract.extractors.prompts as prompts_module

    monkeypatch.setattr(prompts_module, "schema_json", lambda: '{"changed": true}')
    assert PromptSet.load().hash not in (original, edited, renamed)


def test_hidden_files_do_not_change_the_hash(prompt_copy: Path) -> None:
    before = PromptSet.load().hash
    (prompt_copy / ".notes.swp").write_text("editor junk", encoding="utf-8")
    assert PromptSet.load().hash == before


def test_incomplete_template_sets_are_config_errors(prompt_copy: Path) -> None:
    (prompt_copy / "examples" / "01_shelling.json").write_text('{"claims": [{"kind": "rumour"}]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="01_shelling.json"):
        PromptSet.load()
    (prompt_copy / "examples" / "01_shelling.json").unlink()
    with pytest.raises(ConfigError, match="no gold answer"):
        PromptSet.load()
    (prompt_copy / "user.j2").unlink()
    with pytest.raises(ConfigError, match="user.j2"):
        PromptSet.load()
    with pytest.raises(ConfigError, match="not a directory"):
        PromptSet.load(prompt_copy / "missing")


def test_strict_undefined_catches_template_typos(prompt_copy: Path) -> None:
    (prompt_copy / "user.j2").write_text("{{ artcle.text }}", encoding="utf-8")
    with pytest.raises(Exception, match="artcle"):
        PromptSet.load().render(Article(text="x"))


def test_packaged_copy_is_the_top_level_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    import llmextract

    packaged = Path(llmextract.__file__).parent / "prompts"
    assert default_prompts_dir() in (packaged, TOP_LEVEL)
    assert PromptSet.load(packaged).hash == PromptSet.load(TOP_LEVEL).hash


def test_gold_example_file_is_pretty_json() -> None:
    for path in (TOP_LEVEL / "examples").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert "best" not in json.dumps(data)  # a computed field: the model must not be taught to send it


def test_a_loaded_set_renders_what_its_hash_covers_even_if_a_file_changes(prompt_copy: Path) -> None:
    prompts = PromptSet.load(prompt_copy)
    article = Article(text="Shelling hit Qarabel on Monday, killing 3, police said.")
    before, digest = prompts.render_user(article), prompts.hash
    user = prompt_copy / "user.j2"
    user.write_text("EDITED {{ text }}", encoding="utf-8")
    os.utime(user, (user.stat().st_atime + 10, user.stat().st_mtime + 10))
    # the set renders the templates it hashed at load; a new load sees the edit
    assert prompts.render_user(article) == before and prompts.hash == digest
    assert PromptSet.load(prompt_copy).render_user(article).startswith("EDITED")
