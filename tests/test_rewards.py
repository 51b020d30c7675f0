"""align.rewards: behaviour of every reward, the registry, TRL's calling convention, and a fuzz of every reward."""

from __future__ import annotations

import functools
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from align.errors import UserError
from align.rewards import REWARDS, build_reward_funcs, completion_text, get_reward
from align.rewards.code import code_execution, last_python_block
from align.rewards.format import answer_format, think_format
from align.rewards.math import math_accuracy
from align.rewards.parsing import (
    answers_match,
    extract_prediction,
    final_answer,
    grade,
    parse_gold,
)
from align.rewards.shaping import length_penalty, repetition_penalty
from align.rewards.tools import tool_call_correctness
from align.tokenizer import TOOL_CALL, TOOL_CALL_END
from align.tools import format_tool_call


def chat(text: str, **extra) -> list[dict]:
    return [{"role": "assistant", "content": text, **extra}]


def call(texts, reward, **kwargs):
    """Call ``reward`` the way GRPOTrainer does (its extra keyword arguments included)."""
    return reward(prompts=["q"] * len(texts), completions=texts, completion_ids=None, trainer_state=None,
                  log_extra=lambda *a: None, log_metric=lambda *a: None, **kwargs)


# --- completions ---------------------------------------------------------------------------------------------

def test_completion_text_handles_strings_and_conversations():
    assert completion_text("plain") == "plain"
    assert completion_text(chat("hi")) == "hi"
    turns = [{"role": "assistant", "content": "let me compute", "tool_calls": []},
             {"role": "tool", "content": "The answer is 666."},
             {"role": "assistant", "content": [{"type": "text", "text": "The answer is 5."}, {"type": "image"}]}]
    assert completion_text(turns) == "let me compute\nThe answer is 5."
    for garbage in [None, 5, {"content": None}, [None, 3, {"role": "assistant", "content": 7}], []]:
        assert completion_text(garbage) == ""


# --- parsing ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Steps.\nThe answer is 72.", 72), ("#### 1,234", 1234), ("so \\boxed{42} done", 42),
    ("The answer is $1,000.50.", 1000.5), ("the answer is 42 apples", 42), ("**The answer is 7.**", 7),
    ("The answer is 3. Oops, the answer is 4.", 4), ("The answer is -3/4.", -0.75),
    ("#### 5\nThe answer is 6.", 6), ("The answer is 1,000,000.", 1_000_000),
])
def test_extract_prediction_formats(text, expected):
    predicted = extract_prediction(text)
    assert predicted is not None and predicted.value == pytest.approx(expected)


def test_extract_prediction_none_and_unbalanced():
    for text in ["", "no answer here", "\\boxed{unclosed", "The answer is", "####   "]:
        assert extract_prediction(text) is None or extract_prediction(text).value is None


@pytest.mark.parametrize("gold, value", [(72, 72), (72.0, 72), ("72", 72), ("$1,234", 1234),
                                         ("Natalia sold 48/2 = 24 clips...\n#### 72", 72), ("1/2", 0.5)])
def test_parse_gold_numbers(gold, value):
    assert parse_gold(gold).value == pytest.approx(value)


@pytest.mark.parametrize("gold", [None, "", "  ", float("nan"), float("inf"), True, "see above", "}{",
                                  "garbage}{", [72], {"a": 1}, "x" * 500])
def test_unparsable_gold_is_none(gold):
    assert parse_gold(gold) is None


def test_symbolic_answers_with_math_verify():
    pytest.importorskip("math_verify")
    assert answers_match(extract_prediction("The answer is 0.5."), parse_gold("\\frac{1}{2}"))
    assert answers_match(extract_prediction("\\boxed{\\frac{144}{2}}"), parse_gold(72))
    assert answers_match(extract_prediction("\\boxed{\\sqrt{9}}"), parse_gold("3"))
    assert not answers_match(extract_prediction("\\boxed{\\frac{1}{3}}"), parse_gold("\\frac{1}{2}"))


def test_project_answer_format_lives_in_parsing():
    from align.tasks import math as math_problems

    assert math_problems.final_answer is final_answer and math_problems.grade is grade
    assert grade(final_answer(1234), 1234) and not grade("no", 1234)


@pytest.mark.parametrize("text, gold, expected", [
    ("\\boxed{42}", 42, True),                 # LaTeX boxed: eval once found nothing here
    ("The answer is 3/4.", 0.75, True),         # a fraction is its value, not 3
    ("The answer is 3/4.", 3, False),
    ("Steps... The answer is 1,234.", 1234, True),
    ("#### 17", "17", True),
    ("The answer is 5. Wait, the answer is 6.", 6, True),  # the last stated answer counts
    ("I think 42.", 42, False),                  # no stated answer
    ("The answer is 42.", "not a number", None),  # ungradable gold
])
def test_one_grader_for_rewards_and_evaluation(text, gold, expected):
    """GRPO's reward and the report card's math rows grade with the same function, so they agree on every case."""
    from align.tasks.math import score_math

    assert grade(text, gold) is expected
    reward = math_accuracy(prompts=[None], completions=[text], answer=[gold])[0]
    assert reward == (None if expected is None else float(expected))
    if expected is not None:
        assert score_math(gold, text) is expected


# --- math_accuracy ------------------------------------------------------------------------------------------

def test_math_accuracy_right_wrong_missing_unparsable():
    completions = ["Steps.\nThe answer is 72.", "The answer is 71.", "I don't know.", "The answer is 5.",
                   chat("#### 72"), "\\boxed{72}"]
    golds = [72, 72, 72, "not a number", "72", "Natalia... #### 72"]
    assert call(completions, math_accuracy, answer=golds) == [1.0, 0.0, 0.0, None, 1.0, 1.0]


def test_math_accuracy_column_is_configurable_and_required():
    assert call(["The answer is 3."], math_accuracy, answer_column="solution", solution=[3]) == [1.0]
    with pytest.raises(ValueError, match="answer"):
        call(["The answer is 3."], math_accuracy)
    assert math_accuracy(prompts=[], completions=[]) == []


# --- format ---------------------------------------------------------------------------------------------------

def test_answer_format():
    completions = ["Half of 48 is 24.\nThe answer is 24.", "The answer is 24.\nHalf of 48 is 24.",
                   "The answer is 24.\nThe answer is 24.", "Half of 48 is 24.", "Half.\nThe answer is twenty.",
                   chat("Steps.\nThe answer is 1,234.\n\n"), "The answer is 24"]
    assert call(completions, answer_format) == [1.0, 0.5, 0.5, 0.0, 0.5, 1.0, 0.5]
    assert call(["The answer is 24.\nsteps"], answer_format, partial=0.0) == [0.0]


def test_think_format():
    completions = ["<think>half of 48</think>The answer is 24.", "<think></think>The answer is 24.",
                   "<think>a</think>", "<think><think>a</think>b", "no tags", "a<think>b</think>c",
                   chat("<think>x</think> y")]
    assert call(completions, think_format) == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]


# --- tools ----------------------------------------------------------------------------------------------------

def text_call(expression) -> str:
    return TOOL_CALL + json.dumps(format_tool_call("calculator", {"expression": expression})) + TOOL_CALL_END


def test_tool_call_correctness_on_text():
    good, bad = text_call("2+3"), text_call("import os")
    unknown = TOOL_CALL + '{"name": "search", "arguments": {}}' + TOOL_CALL_END
    completions = [good, f"{good} then {bad}", "no calls at all", TOOL_CALL + "{not json" + TOOL_CALL_END,
                   good + TOOL_CALL + '{"name": "calculator", "argu', unknown]
    assert call(completions, tool_call_correctness) == [1.0, 0.5, None, 0.0, 0.5, 0.0]


def test_tool_call_correctness_on_conversations():
    ok = format_tool_call("calculator", {"expression": "6*7"})
    as_string = {"type": "function", "function": {"name": "calculator", "arguments": '{"expression": "1+1"}'}}
    broken = format_tool_call("calculator", {"expr": "1"})
    turns = [{"role": "assistant", "content": "", "tool_calls": [ok, as_string]},
             {"role": "tool", "content": "42"},
             {"role": "assistant", "content": "", "tool_calls": [broken]},
             {"role": "assistant", "content": "The answer is 42."}]
    assert call([turns, chat("plain")], tool_call_correctness) == [pytest.approx(2 / 3), None]


# --- shaping --------------------------------------------------------------------------------------------------

def test_length_penalty_tokens_and_chars():
    ids = [[1] * 5, [1] * 15, [1] * 40]
    rewards = length_penalty(prompts=[""] * 3, completions=["x"] * 3, completion_ids=ids, target=10, limit=20)
    assert rewards == [0.0, -0.5, -1.0]
    assert call(["x" * 10, "x" * 15], length_penalty, target=10, limit=20, unit="chars") == [0.0, -0.5]
    assert call(["x" * 60], length_penalty, target=10, limit=20) == [-0.5]  # no ids: 60 chars ~ 15 tokens


def test_repetition_penalty():
    fresh, looped = "the cat sat on the mat today", "buy now " * 20
    rewards = call([fresh, looped, "", chat("a b")], repetition_penalty)
    assert rewards[0] == 0.0 and -1.0 < rewards[1] < -0.8 and rewards[2:] == [0.0, 0.0]
    by_ids = repetition_penalty(prompts=[""], completions=["x"], completion_ids=[[1, 2] * 10], n=2, unit="tokens")
    assert by_ids[0] == pytest.approx(-(1 - 2 / 19))
    assert call([looped], repetition_penalty, scale=0.5)[0] == pytest.approx(rewards[1] / 2)


# --- code -----------------------------------------------------------------------------------------------------

TESTS = ["assert add(1, 2) == 3", "assert add(-1, 1) == 0"]


def test_last_python_block():
    assert last_python_block("```python\na = 1\n```\ntext\n```py\nb = 2\n```") == "b = 2\n"
    assert last_python_block("```python\nx = 1\n```\n```bash\nls\n```") == "x = 1\n"
    assert last_python_block("```python\nunclosed") is None
    assert last_python_block("```\nno language\n```") is None
    assert last_python_block("no code") is None


def test_code_execution():
    right = "Here:\n```python\ndef add(a, b):\n    return a + b\n```"
    half = "```python\ndef add(a, b):\n    return 3\n```"
    crashing = "```python\nraise SystemExit(0)\n```"
    forged = "```python\nprint('0 passed')\nprint('1 passed')\nimport os\nos._exit(0)\n```"
    completions = [right, half, "def add(a, b): return a + b", crashing, forged, chat(right), right]
    tests = [TESTS] * 6 + [None]
    assert call(completions, code_execution, tests=tests, workers=2) == [1.0, 0.5, 0.0, 0.0, 0.0, 1.0, None]


def test_code_execution_time_limit():
    slow = "```python\ndef add(a, b):\n    return a + b\n```"
    tests = ["assert add(1, 2) == 3", "while True: pass", "assert add(0, 0) == 0"]
    assert call([slow], code_execution, tests=[tests], timeout=1, workers=1) == [pytest.approx(1 / 3)]


# --- registry -------------------------------------------------------------------------------------------------

def test_registry_builds_functions_and_weights():
    funcs, weights = build_reward_funcs([{"name": "math_accuracy", "weight": 1.0}, "answer_format",
                                         {"name": "length_penalty", "weight": 0.5, "target": 10, "limit": 20}])
    assert weights == [1.0, 1.0, 0.5]
    assert [f.__name__ for f in funcs] == ["math_accuracy", "answer_format", "length_penalty"]
    assert isinstance(funcs[2], functools.partial) and funcs[2].keywords == {"target": 10, "limit": 20}
    assert call(["x" * 60], funcs[2]) == [-0.5]
    assert get_reward("math_accuracy") is math_accuracy


def test_registry_names_match_trl_logging():
    """TRL logs a reward under ``get_callable_name``: a partial is unwrapped to its function's ``__name__``."""
    funcs, _ = build_reward_funcs([{"name": name} for name in sorted(REWARDS)])
    assert [f.func.__name__ for f in funcs] == [f.__name__ for f in funcs] == sorted(REWARDS)


@pytest.mark.parametrize("specs, message", [
    ([{"name": "math_acuracy"}], "rewards[0]: unknown reward 'math_acuracy'; known rewards: answer_format"),
    (["answer_format", {"name": "length_penalty", "tokens": 3}], "rewards[1] (length_penalty): unknown parameter"),
    ([{"name": "length_penalty", "unit": "lines"}], "unit must be"),
    ([{"name": "length_penalty", "target": 30, "limit": 20}], "target < limit"),
    ([{"name": "answer_format", "weight": "high"}], "weight must be a finite number"),
    ([{"weight": 1.0}], "expected {name: ..., weight: ...}"),
    ([42], "rewards[0]: expected"),
])
def test_registry_errors_are_one_line_user_errors(specs, message):
    with pytest.raises(UserError) as err:
        build_reward_funcs(specs)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_register_refuses_a_second_function_under_one_name():
    from align.rewards import register

    with pytest.raises(ValueError, match="already registered by align.rewards.math.math_accuracy"):
        register("math_accuracy")(lambda prompts, completions, **kwargs: [])
    assert REWARDS["math_accuracy"] is math_accuracy


def test_unknown_reward_lists_known_names():
    with pytest.raises(UserError, match="known rewards: .*math_accuracy"):
        get_reward("nope")


# --- fuzz: every reward on arbitrary text --------------------------------------------------------------------

FRAGMENTS = ["<think>", "</think>", TOOL_CALL, TOOL_CALL_END, "```python\n", "```", "```py\n", "\n",
             "The answer is ", "answer is 1,000.", "#### ", "\\boxed{", "{", "}", "\\frac{1}{2}", "$", "-",
             "1e999", "9" * 400, "\x00", "\ud800", "é😀", '{"name": "calculator", "arguments": {"expression": ',
             '"9**9**9"}}', "import os\nos.fork()\n", "while True: pass\n", "[[[[[[[[[[", "\\" * 30]
HUGE = ["x" * 100_000, "<think>" * 15_000, TOOL_CALL * 8_000, "```python\n" * 10_000, "answer is 1" * 9_000,
        "\\boxed{" * 14_000, "#### 1,2" * 12_000, ("é😀 " * 30_000)]

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=30).map("".join),
    st.sampled_from(HUGE),
)
completions_ = st.one_of(
    texts,
    texts.map(chat),
    st.tuples(texts, st.lists(st.one_of(texts, st.dictionaries(st.text(max_size=5), texts, max_size=3),
                                        st.integers()), max_size=3))
      .map(lambda t: chat(t[0], tool_calls=t[1])),
    st.lists(st.fixed_dictionaries({"role": st.sampled_from(["assistant", "tool", "user"]), "content": texts}),
             max_size=3),
)
golds = st.one_of(st.none(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), texts, st.booleans())
test_lists = st.one_of(st.none(), texts, st.lists(texts, max_size=3))


def batches(with_tests: st.SearchStrategy):
    return st.lists(st.tuples(completions_, st.one_of(st.none(), st.lists(st.integers(0, 50_000), max_size=50)),
                              golds, with_tests), min_size=1, max_size=3)


def check_rewards(name, rows):
    completions = [r[0] for r in rows]
    ids = None if any(r[1] is None for r in rows) else [r[1] for r in rows]
    kwargs = {"answer": [r[2] for r in rows], "tests": [r[3] for r in rows]}
    if name == "code_execution":
        kwargs.update(timeout=1, workers=1)
    rewards = REWARDS[name](prompts=["p"] * len(rows), completions=completions, completion_ids=ids,
                            trainer_state=None, **kwargs)
    assert isinstance(rewards, list) and len(rewards) == len(rows)
    for reward in rewards:
        assert reward is None or (type(reward) is float and math.isfinite(reward)), reward


FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(set(REWARDS) - {"code_execution"}))
@FUZZ
@given(rows=batches(st.none()))
def test_fuzz_every_reward_never_raises(name, rows):
    check_rewards(name, rows)


code_completions = st.one_of(completions_, texts.map(lambda t: f"```python\n{t}\n```"))
code_rows = st.lists(st.tuples(code_completions, st.none(), st.none(), test_lists), min_size=1, max_size=2)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=code_rows)
def test_fuzz_code_execution_never_raises(rows):
    check_rewards("code_execution", rows)


@pytest.mark.parametrize("name", sorted(REWARDS))
def test_every_reward_on_huge_and_hostile_completions(name):
    rows = [(text, None, 72, ["assert True"]) for text in HUGE + FRAGMENTS]
    rows += [(chat(text), None, "\\frac{1}{2}", None) for text in HUGE]
    check_rewards(name, rows)


def test_fuzz_covers_every_registered_reward():
    assert set(REWARDS) == {"math_accuracy", "answer_format", "think_format", "tool_call_correctness",
                            "length_penalty", "repetition_penalty", "code_execution"}
