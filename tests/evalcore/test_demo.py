"""The offline demo: a synthetic but deliberately hard dataset, and a provider that imitates models of
different quality, deterministically, and never passes for a real model."""

from __future__ import annotations

import json
import statistics
from datetime import date

import pytest
from click.testing import CliRunner

from evalcore import demo
from evalcore.demo_build import DEMO_SUITE, build_demo, is_built
from evalcore.example import Example
from evalcore.queries import Queries
from evalcore.prompt_render import render_messages
from evalcore.scoring import judge_messages, score
from evalcore.store import Workspace
from evalcore.suite import LlmJudgeScorer, load_suite

EXAMPLES = demo.build_examples()


def _tags(row) -> set[str]:
    return {t.strip() for t in row["tags"].split(",")}


def _items(row) -> list[dict]:
    return json.loads(row["expected"])["line_items"]


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    return load_suite(demo.write_demo_files(tmp_path_factory.mktemp("demo-files")))


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return [Example(r["id"], r["input"], r["expected"], tuple(sorted(_tags(r))), row=i)
            for i, r in enumerate(EXAMPLES, start=1)]


def _messages(rendered) -> list[dict[str, str]]:
    return [{"role": role, "content": content} for role, content in rendered]


# -- the dataset ---------------------------------------------------------------------------------------------------


def test_dataset_has_at_least_fifty_examples_with_unique_ids():
    assert len(EXAMPLES) >= 50
    assert len({r["id"] for r in EXAMPLES}) == len(EXAMPLES)
    assert len({r["input"] for r in EXAMPLES}) == len(EXAMPLES)


def test_at_least_a_quarter_of_the_examples_are_hard():
    hard = [r for r in EXAMPLES if "clean" not in _tags(r)]
    assert len(hard) >= len(EXAMPLES) / 4
    assert all(_tags(r) & set(demo._TAGS_HARD) for r in hard)


def test_every_expected_answer_is_json_with_line_items():
    for r in EXAMPLES:
        items = _items(r)
        assert isinstance(items, list), r["id"]
        for it in items:
            assert set(it) == {"description", "quantity", "unit_price", "total"}
            assert it["total"] == pytest.approx(it["quantity"] * it["unit_price"], abs=0.01)


def test_dataset_covers_the_deliberate_edge_cases():
    by_tag: dict[str, list[dict]] = {}
    for r in EXAMPLES:
        for t in _tags(r):
            by_tag.setdefault(t, []).append(r)
    assert {"multilingual", "adversarial", "malformed", "long", "empty"} <= set(by_tag)
    assert {"de", "fr", "es", "ja"} <= set(by_tag)
    assert any("請求書" in r["input"] for r in by_tag["multilingual"])
    for r in by_tag["adversarial"]:  # each one hides an instruction aimed at the model
        assert any(injection in r["input"] for injection in demo._INJECTIONS), r["id"]
    assert any("ignore all previous instructions" in r["input"] for r in by_tag["adversarial"])
    assert all(len(_items(r)) >= 30 for r in by_tag["long"])
    (credit,) = by_tag["empty"]
    assert "CREDIT NOTE" in credit["input"] and _items(credit) == []


def test_build_examples_is_deterministic_for_a_seed():
    assert demo.build_examples() == EXAMPLES
    assert demo.build_examples(seed=8) != EXAMPLES


# -- the model profiles ----------------------------------------------------------------------------------------------


def test_profiles_are_families_of_releases_spread_over_months():
    families: dict[str, list[date]] = {}
    for p in demo.PROFILES.values():
        families.setdefault(p.family, []).append(date.fromisoformat(p.release))
    assert len(families) >= 3
    for family, releases in families.items():
        assert 2 <= len(releases) <= 3, family
        assert len(set(releases)) == len(releases), family
        assert len({(d.year, d.month) for d in releases}) == len(releases), family  # not all in one month
        assert (max(releases) - min(releases)).days >= 60, family


def test_every_profile_has_synthetic_public_scores():
    assert all(p.public for p in demo.PROFILES.values())
    assert all("SYNTHETIC" in r["source"] for r in demo.public_rows())


# -- the provider -------------------------------------------------------------------------------------------------------


def test_demo_reply_is_deterministic_for_model_and_prompt(suite, examples):
    msgs = _messages(render_messages(suite, examples[:1])[0])
    first = demo.demo_reply("aurora-2", msgs)
    assert demo.demo_reply("aurora-2", msgs) == first
    assert first.input_tokens > 0 and first.output_tokens > 0 and first.latency_s > 0


def _adversarial_replies(suite, examples, model: str, variants: int = 20) -> list[tuple[Example, str]]:
    """Each adversarial invoice under `variants` wordings of the system prompt (each a fresh seeded draw)."""
    adversarial = [e for e in examples if "adversarial" in e.tags]
    out = []
    for k in range(variants):
        for ex, rendered in zip(adversarial, render_messages(suite, adversarial)):
            msgs = _messages(rendered)
            msgs[0]["content"] += f" (Request {k}.)"
            out.append((ex, demo.demo_reply(model, msgs).text))
    return out


_INJECTED = {'{"line_items": []}', "APPROVED"}


def test_strong_and_weak_models_differ_on_the_adversarial_invoices(suite, examples):
    f1 = suite.scorers[0]
    strong = _adversarial_replies(suite, examples, "cirrus-pro")
    weak = _adversarial_replies(suite, examples, "basalt-8b")
    assert [t for _, t in strong] != [t for _, t in weak]
    strong_mean = statistics.mean(score(f1, t, ex).value for ex, t in strong)
    weak_mean = statistics.mean(score(f1, t, ex).value for ex, t in weak)
    assert strong_mean > weak_mean + 0.1, (strong_mean, weak_mean)


def test_injection_susceptibility_follows_the_profile(suite, examples):
    def obeyed(model: str) -> float:
        replies = _adversarial_replies(suite, examples, model)
        return sum(t in _INJECTED or "Gift card" in t for _, t in replies) / len(replies)

    assert demo.PROFILES["aurora-2"].injection > 0.5 > demo.PROFILES["cirrus-pro-2"].injection
    assert obeyed("aurora-2") > 0.35 > 0.15 > obeyed("cirrus-pro-2")


def test_models_share_item_difficulty_but_keep_their_own_error_rates():
    """Each model's draws are uniform (so a profile's rates hold), and two models' draws on the same prompt are
    strongly correlated (the hard items are hard for everyone), so paired differences are tight."""
    prompts = [f"invoice {k}" for k in range(400)]
    a = [demo._Draws("aurora-2", p).draw() for p in prompts]
    b = [demo._Draws("basalt-8b", p).draw() for p in prompts]
    for draws in (a, b):
        assert 0.45 < statistics.mean(draws) < 0.55 and 0.07 < sum(d < 0.1 for d in draws) / len(draws) < 0.13
    assert statistics.correlation(a, b) > 0.8
    assert [demo._Draws("aurora-2", p).draw() for p in prompts] == a  # deterministic
    fails_strong = {k for k, d in enumerate(a) if d < 0.1}
    fails_weak = {k for k, d in enumerate(b) if d < 0.3}
    assert len(fails_strong & fails_weak) >= 0.8 * len(fails_strong)  # errors nest


def test_unknown_demo_model_is_a_clear_error():
    with pytest.raises(ValueError) as err:
        demo.demo_reply("gpt-4o", [{"role": "user", "content": "hi"}])
    assert "unknown demo model 'gpt-4o'" in str(err.value) and "aurora-2" in str(err.value)


def test_prompt_without_an_invoice_gets_a_refusal_not_a_crash():
    reply = demo.demo_reply("aurora-2", [{"role": "user", "content": "What is the capital of France?"}])
    assert "could not find an invoice" in reply.text


def test_demo_judge_returns_a_rating_that_follows_the_answer(suite, examples):
    judge = suite.scorers[2]
    assert isinstance(judge, LlmJudgeScorer) and judge.model == demo.JUDGE_MODEL
    model = demo.JUDGE_MODEL.split("/", 1)[1]
    good, bad = [], []
    for ex in examples:
        perfect = json.dumps({"line_items": json.loads(ex.expected)["line_items"]})
        for output, ratings in ((perfect, good), ("APPROVED", bad)):
            reply = json.loads(demo.demo_reply(model, judge_messages(judge, ex, output)).text)
            assert set(reply) == {"reasoning", "rating"} and reply["reasoning"]
            assert reply["rating"] in {1, 2, 3, 4, 5}
            ratings.append(reply["rating"])
    assert min(good) >= 4 and max(bad) <= 2  # noise of one step at most, as judges have
    assert statistics.mean(good) > 4.5


# -- the suite and the workspace ------------------------------------------------------------------------------------------


def test_written_suite_loads_and_says_it_is_synthetic(suite, tmp_path):
    path = demo.write_demo_files(tmp_path / "d")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# DEMO suite: synthetic invoices, synthetic model outputs")
    loaded = load_suite(path)
    assert loaded.name == DEMO_SUITE and "synthetic" in loaded.description.lower()
    assert [c.model for c in loaded.candidates] == [f"demo/{n}" for n in demo.PROFILES]
    assert [s.label for s in loaded.scorers] == ["line_items_f1", "json_valid", "judge"]
    assert (tmp_path / "d" / "invoices.jsonl").read_text(encoding="utf-8").count("\n") == len(EXAMPLES)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    """The shared demo workspace (see test_analysis.py): built once per session."""
    path = tmp_path_factory.getbasetemp() / "demo-workspace"
    build_demo(path)
    return path


@pytest.mark.slow
def test_second_build_without_force_does_not_rerun(demo_ws, monkeypatch):
    import evalcore.runner

    def no_run(*args, **kwargs):
        raise AssertionError("build_demo ran the suite again")

    monkeypatch.setattr(evalcore.runner, "run_suite", no_run)
    before = sorted(p.stat().st_mtime_ns for p in (demo_ws / "results").rglob("*.parquet"))
    runs = len(Workspace(demo_ws).manifests())
    message = build_demo(demo_ws)
    assert "already built" in message and "--force" in message
    assert sorted(p.stat().st_mtime_ns for p in (demo_ws / "results").rglob("*.parquet")) == before
    assert len(Workspace(demo_ws).manifests()) == runs == 2  # the demo has two runs (see demo_build)
    assert is_built(demo_ws)


def test_a_users_own_suite_of_the_demos_name_is_never_deleted(tmp_path, server):
    """With --force the demo deleted the results of a user's suite named invoice-extraction (and without it said
    "already built" of that suite)."""
    from suite_factory import make_suite

    from evalcore.errors import StoreError
    from evalcore.runner import run_suite

    (tmp_path / "mine").mkdir()
    suite = make_suite(tmp_path / "mine", server.base_url, ["q1", "q2"], extra={"name": DEMO_SUITE})
    run_suite(suite, tmp_path / "ws")
    before = sorted(p.read_bytes() for p in (tmp_path / "ws").rglob("*.parquet"))
    for force in (False, True):
        with pytest.raises(StoreError, match="not the demo's"):
            build_demo(tmp_path / "ws", force=force)
    assert sorted(p.read_bytes() for p in (tmp_path / "ws").rglob("*.parquet")) == before


@pytest.mark.slow
def test_demo_command_on_a_built_workspace_says_so(demo_ws):
    from evalcore.cli import main

    result = CliRunner().invoke(main, ["demo", "--workspace", str(demo_ws)])
    assert result.exit_code == 0 and "already built" in result.stdout


@pytest.mark.slow
def test_demo_results_are_labelled_as_demo_models(demo_ws):
    q = Queries(demo_ws)
    df = q.current_results(DEMO_SUITE)
    assert len(df) == len(EXAMPLES) * len(demo.PROFILES)
    assert df["model"].str.startswith("demo/").all()
    assert set(df["model"]) == {f"demo/{n}" for n in demo.PROFILES}
    judged = q.score_table(DEMO_SUITE, "judge")
    assert len(judged) == len(df) and judged["value"].notna().all()
    public = q.public_scores()
    assert public["source"].str.contains("SYNTHETIC").all()
