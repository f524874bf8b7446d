"""Rubric loading: the bundled rubric, custom rubrics, and load-time errors."""

import textwrap
from dataclasses import dataclass

import pytest
import yaml

from qa_pipeline.criteria import Outcome, available_criteria, register_criterion
from qa_pipeline.errors import ConfigError
from qa_pipeline.records import FAIL, PASS
from qa_pipeline.rubric import BUNDLED_DIR, load_rubric

from _scoring_helpers import dialogue, judge

SEVEN = ["self_introduction", "name_use", "no_im_listening", "no_interrupting", "asked_questions",
         "no_price_before_need", "said_goodbye"]


def bundled() -> dict:
    return yaml.safe_load((BUNDLED_DIR / "etiquette.yaml").read_text())


def write(tmp_path, data, name="custom.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def test_bundled_rubric_by_id_has_the_seven_criteria():
    rubric = load_rubric("etiquette")
    assert (rubric.id, rubric.version, rubric.label) == ("etiquette", "2", "etiquette/2")
    assert [c.id for c in rubric.criteria] == SEVEN
    assert [c.impl for c in rubric.criteria] == [f"{c}.v1" for c in SEVEN]


def test_bundled_rubric_by_path(root):
    assert load_rubric(root / "rubrics" / "etiquette.yaml").id == "etiquette"


def test_built_in_criteria_are_registered_by_versioned_name():
    assert set(f"{c}.v1" for c in SEVEN) <= set(available_criteria())


def test_params_come_from_the_file():
    rubric = load_rubric("etiquette")
    assert rubric.criterion("no_interrupting").params.min_overlap_s == 0.5
    assert "goodbye" in rubric.criterion("said_goodbye").params.phrases


def test_without_classifiers_turns_every_criterion_off(tmp_path):
    data = bundled()
    for entry in data["criteria"].values():
        entry["use_classifier"] = True
    rubric = load_rubric(write(tmp_path, data))
    assert all(c.use_classifier for c in rubric.criteria)
    assert not any(c.use_classifier for c in rubric.without_classifiers().criteria)
    assert all(c.use_classifier for c in rubric.criteria)  # the original is unchanged


def test_custom_rubric_with_an_extra_phrase_works_without_code(tmp_path):
    transcript = dialogue("A: hello", "C: hi", "A: fire away i'm ready")
    assert judge("no_im_listening", transcript).verdict == PASS
    data = bundled()
    data["criteria"]["no_im_listening"]["params"]["phrases"].append("fire away")
    rubric = load_rubric(write(tmp_path, data))
    assert judge("no_im_listening", transcript, rubric=rubric).verdict == FAIL


@dataclass(frozen=True)
class _PaceParams:
    max_words: int = 3


@register_criterion("test_short_turns.v1", params=_PaceParams, needs_roles=True)
def _short_turns(ctx, params):
    longest = max(len(ctx.utterances[i].text.split()) for i in ctx.agent_indices())
    return Outcome(PASS if longest <= params.max_words else FAIL, 1.0, (), f"longest turn {longest} words")


def test_custom_criterion_uses_the_same_registry(tmp_path):
    path = write(tmp_path, {"id": "mine", "version": "2", "criteria": {
        "short_turns": {"impl": "test_short_turns.v1", "weight": 2, "params": {"max_words": 4}}}})
    rubric = load_rubric(path)
    assert judge("short_turns", dialogue("A: one two three four five"), rubric=rubric).verdict == FAIL
    assert judge("short_turns", dialogue("A: one two three"), rubric=rubric).verdict == PASS


def _broken(mutate):
    data = bundled()
    mutate(data)
    return data


MALFORMED = [
    (lambda d: d["criteria"]["name_use"].update(impl="name_use.v9"),
     "criteria.name_use.impl: unknown criterion 'name_use.v9'; available: acknowledged_caller.v1, asked_questions.v1"),
    (lambda d: d["criteria"]["said_goodbye"].pop("weight"), "criteria.said_goodbye.weight: missing"),
    (lambda d: d["criteria"]["said_goodbye"].update(weight="heavy"), "criteria.said_goodbye.weight: expected a number"),
    (lambda d: d["criteria"]["no_interrupting"]["params"].update(min_overlap_s="half a second"),
     "criteria.no_interrupting.params.min_overlap_s: expected a number, got 'half a second'"),
    (lambda d: d["criteria"]["said_goodbye"]["params"].update(phrases="bye"),
     "criteria.said_goodbye.params.phrases: expected a list of strings, got 'bye'"),
    (lambda d: d["criteria"]["asked_questions"]["params"].update(question_kinds=["how can i help"]),
     "criteria.asked_questions.params.question_kinds: expected a mapping of names to list of strings"),
    (lambda d: d["criteria"]["said_goodbye"]["params"].update(window=30),
     "criteria.said_goodbye.params.window: unknown parameter; known: phrases, window_s"),
    (lambda d: d["criteria"]["said_goodbye"]["params"].pop("phrases"),
     "criteria.said_goodbye.params.phrases: missing required parameter"),
    (lambda d: d["criteria"]["said_goodbye"].update(use_classifier="yes please"),
     "criteria.said_goodbye.use_classifier: expected true or false"),
    (lambda d: d["criteria"]["said_goodbye"].update(wieght=1), "criteria.said_goodbye.wieght: unknown key"),
    (lambda d: d["criteria"]["said_goodbye"].pop("impl"), "criteria.said_goodbye.impl: missing"),
    (lambda d: d.pop("version"), "version: missing"),
    (lambda d: d.update(version=1), "version: expected a non-empty string, got 1"),
    (lambda d: d.update(criteria=[]), "criteria: expected a non-empty mapping"),
    (lambda d: d.update(plugins=["no_such_module_here"]), "plugins: cannot import 'no_such_module_here'"),
]


@pytest.mark.parametrize(("mutate", "message"), MALFORMED)
def test_malformed_rubric_names_file_key_and_problem(tmp_path, mutate, message):
    path = write(tmp_path, _broken(mutate))
    with pytest.raises(ConfigError) as info:
        load_rubric(path)
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [("id: [unclosed", "not valid YAML"), ("- a\n- b\n", "expected a mapping at the top level, got list"), ("", "got nothing")],
)
def test_unparseable_rubric_file(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message):
        load_rubric(path)


def test_unknown_rubric_id_lists_bundled_ones():
    with pytest.raises(ConfigError, match=r"no_such_rubric: no rubric file or bundled rubric by that id \(bundled: .*etiquette"):
        load_rubric("no_such_rubric")


def test_missing_rubric_file(tmp_path):
    with pytest.raises(ConfigError, match="rubric file not found"):
        load_rubric(tmp_path / "absent.yaml")


def test_plugin_module_registers_a_criterion(tmp_path, monkeypatch):
    (tmp_path / "acme_criteria.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from qa_pipeline.criteria import Outcome, register_criterion

        @dataclass(frozen=True)
        class Params:
            pass

        @register_criterion("acme_always.v1", params=Params, needs_roles=False)
        def always(ctx, params):
            return Outcome("pass", 1.0)
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    path = write(tmp_path, {"id": "acme", "version": "1", "plugins": ["acme_criteria"],
                            "criteria": {"always": {"impl": "acme_always.v1", "weight": 1}}})
    assert load_rubric(path).criterion("always").impl == "acme_always.v1"


def test_a_checkout_reads_its_top_level_rubrics_and_models(root, monkeypatch):
    from qa_pipeline.classifiers.model_io import MODELS_ENV, default_model_dir
    from qa_pipeline.files import bundled_dir

    monkeypatch.delenv(MODELS_ENV, raising=False)
    assert BUNDLED_DIR == bundled_dir("rubrics") == root / "rubrics"
    assert default_model_dir() == bundled_dir("models") == root / "models"
    with pytest.raises(ValueError, match="rubrics, models"):
        bundled_dir("templates")
