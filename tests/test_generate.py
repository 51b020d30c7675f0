"""Sampling from a base model: streaming, greedy determinism, stopping, argument checks."""

from __future__ import annotations

import pytest
from conftest import run_cli

from align.cli import main as align_main
from align.errors import UserError


@pytest.fixture(scope="module")
def model_dir(tiny_model_dir):
    return tiny_model_dir


def test_stream_greedy_is_deterministic_and_bounded(model_dir):
    from align.engine import SamplingConfig, encode_document_prompt, load_model, stream_generate

    model, tokenizer = load_model(model_dir)
    ids = encode_document_prompt(tokenizer, "The town")
    assert ids[0] == tokenizer.bos_token_id
    greedy = SamplingConfig(max_new_tokens=12, temperature=0)
    # A never-occurring stop id, so the length bound is what ends generation.
    chunks = list(stream_generate(model, tokenizer, ids, greedy, stop_ids=[tokenizer.pad_token_id]))
    again = "".join(stream_generate(model, tokenizer, ids, greedy, stop_ids=[tokenizer.pad_token_id]))
    assert "".join(chunks) == again
    assert len(tokenizer("".join(chunks), add_special_tokens=False)["input_ids"]) <= 12 + 2


def test_generation_stops_at_end_of_turn(model_dir):

    from align.engine import SamplingConfig, load_model, stream_generate

    model, tokenizer = load_model(model_dir)
    def end_of_turn_first(module, inputs, logits):  # after 3 tokens, END is the most likely next token
        if logits.shape[1] == 1 and len(seen) >= 3:
            logits[..., tokenizer.eos_token_id] = 1e4
        seen.append(1)
        return logits

    seen: list[int] = []
    model.lm_head.register_forward_hook(end_of_turn_first)
    text = "".join(stream_generate(model, tokenizer, [tokenizer.bos_token_id, 20], SamplingConfig(temperature=0)))
    assert len(seen) == 4  # prefill + 2 tokens + the step that produced END
    assert len(tokenizer(text, add_special_tokens=False)["input_ids"]) == 3


def test_cli_streams_a_continuation(model_dir, capsys):
    code, out, _ = run_cli(align_main, ["generate", "--model", model_dir, "--max_new_tokens", "5", "--seed", "0",
                                        "The town"], capsys)
    assert code == 0
    assert out.startswith("The town")


@pytest.mark.parametrize("kwargs", [{"temperature": -1}, {"top_p": 0}, {"top_k": -2}, {"max_new_tokens": 0}])
def test_bad_sampling_arguments(kwargs):
    from align.engine import SamplingConfig

    with pytest.raises(UserError):
        SamplingConfig(**kwargs)


def test_missing_model_dir_is_one_line(tmp_path, capsys):
    code, _, err = run_cli(align_main, ["generate", "--model", str(tmp_path / "nope"), "hi"], capsys)
    assert code == 2 and err.startswith("error:") and err.count("\n") == 1


def test_generate_batch_matches_one_prompt_at_a_time_and_stops_at_the_stop_ids(model_dir):
    import torch

    from align.engine import encode_document_prompt, generate_batch, load_model

    model, tokenizer = load_model(model_dir)
    prompts = [encode_document_prompt(tokenizer, text) for text in ("The town", "A long way from the river Vell",
                                                                    "Numbers: 1 2 3")]
    never = [tokenizer.pad_token_id]  # a stop id the model does not produce: the length bound ends generation
    model.train()  # a training callback calls it mid-training: the mode must come back
    batched = generate_batch(model, tokenizer, prompts, max_new_tokens=10, batch_size=3, stop_ids=never,
                             do_sample=False)
    assert model.training
    # left padding does not change a greedy completion
    single = [generate_batch(model, tokenizer, [p], max_new_tokens=10, stop_ids=never, do_sample=False)[0]
              for p in prompts]
    assert batched == single and all(len(c) == 10 for c in batched)
    # a completion is cut right after the first stop id, whatever follows it in the padded batch
    stop = batched[1][3]
    stopped = generate_batch(model, tokenizer, prompts, max_new_tokens=10, stop_ids=[stop], do_sample=False)
    assert stopped[1] == batched[1][: batched[1].index(stop) + 1]
    assert all(stop not in c[:-1] for c in stopped)
    # n samples per prompt, prompt by prompt; the same seed gives the same samples
    torch.manual_seed(0)
    samples = generate_batch(model, tokenizer, prompts, max_new_tokens=6, num_return_sequences=2, do_sample=True,
                             stop_ids=never)
    torch.manual_seed(0)
    assert generate_batch(model, tokenizer, prompts, max_new_tokens=6, num_return_sequences=2, do_sample=True,
                          stop_ids=never) == samples and len(samples) == 6
    # never past the model's context: a prompt 4 positions short of it gets at most 4 new tokens
    context = model.config.max_position_embeddings
    long = [tokenizer.bos_token_id] + [prompts[0][-1]] * (context - 5)
    [capped] = generate_batch(model, tokenizer, [long], max_new_tokens=50, stop_ids=never, do_sample=False)
    assert len(capped) == 4
