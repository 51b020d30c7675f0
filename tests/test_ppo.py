"""PPO for RLHF (align.trainers): learns a toy task with a known optimum, its critic learns, the KL penalty holds
the policy near the reference, resume is exact, LoRA uses the base as reference, held-out evaluation keeps the
best policy and stops early, the recipe runs end to end, and bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import load_recipe, run_cli, run_recipe

from align.errors import UserError


@pytest.fixture(autouse=True)
def one_thread():
    # Tiny models on a shared 2-core machine: several threads spin against each other (50x slower here).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def even_fraction(prompts, completions, completion_ids, **kwargs):
    """Toy reward with a known optimum (1.0): the fraction of generated token ids that are even."""
    return [sum(1 for t in ids if t % 2 == 0) / max(len(ids), 1) for ids in completion_ids]


def constant_gold(prompts, completions, **kwargs):
    """A 'true preference' that nothing improves: early stopping must fire and keep the first policy."""
    return [0.5] * len(completions)


def length_gold(prompts, completions, **kwargs):
    return [len(c) / 100 for c in completions]


def toy_prompts(n: int, conversational: bool = True):
    from datasets import Dataset

    texts = [f"Say something about the river {i}" for i in range(n)]
    prompts = [[{"role": "user", "content": t}] for t in texts] if conversational else [t + "\n" for t in texts]
    return Dataset.from_dict({"prompt": prompts, "row": list(range(n))})


def config(out, **overrides):
    from align.trainers import PPOConfig

    values = dict(output_dir=str(out), bf16=False, report_to="none", disable_tqdm=True, save_strategy="no", seed=0,
                  logging_steps=1, temperature=1.0, response_length=8, rollout_batch_size=16, num_mini_batches=2,
                  per_device_train_batch_size=8, num_ppo_epochs=4, learning_rate=1e-2, lr_scheduler_type="constant",
                  kl_coef=0.0)
    values.update(overrides)
    return PPOConfig(**values)


def curve(trainer_or_history, key: str) -> list[float]:
    history = trainer_or_history if isinstance(trainer_or_history, list) else trainer_or_history.state.log_history
    return [row[key] for row in history if key in row]


def mean(values):
    return sum(values) / len(values)


@pytest.fixture(scope="module")
def reward_model_dir(tmp_path_factory, tiny_model_dir) -> str:
    """A random one-label sequence classifier on the tiny model's backbone (a stand-in reward model)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    out = tmp_path_factory.mktemp("reward-model")
    torch.manual_seed(1)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    with torch.no_grad():
        model.score.weight.normal_(0, 0.5)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


# learning ------------------------------------------------------------------------------------------------------

def test_ppo_learns_the_toy_task_and_its_critic_learns(tiny_model_dir, tmp_path):
    from align.trainers import PPOTrainer

    trainer = PPOTrainer(tiny_model_dir, config(tmp_path, max_steps=14), train_dataset=toy_prompts(64),
                         reward_fn=even_fraction)
    trainer.train()
    reward, value_loss = curve(trainer, "objective/proxy_reward"), curve(trainer, "loss/value")
    assert len(reward) == 14
    assert mean(reward[:3]) < 0.65 and mean(reward[-3:]) > 0.85, reward  # random start ≈ 0.5, optimum 1.0
    assert mean(value_loss[-3:]) < 0.5 * mean(value_loss[:3]), value_loss
    row = trainer.state.log_history[0]
    for key in ("objective/kl", "objective/entropy", "policy/clipfrac", "policy/approxkl", "loss/policy",
                "val/ratio", "completions/mean_length", "learning_rate"):
        assert key in row, key
    assert trainer.ref_model is not None and not any(p.requires_grad for p in trainer.ref_model.parameters())


def test_the_kl_penalty_keeps_the_policy_near_the_reference(tiny_model_dir, tmp_path):
    from align.trainers import PPOTrainer

    kls = {}
    for kl_coef in (0.0, 1.0):
        args = config(tmp_path / str(kl_coef), max_steps=10, kl_coef=kl_coef, learning_rate=3e-3)
        reference = tiny_model_dir if kl_coef else None  # an explicit reference (the same weights) or the copy
        trainer = PPOTrainer(tiny_model_dir, args, train_dataset=toy_prompts(48), reward_fn=even_fraction,
                             ref_model=reference)
        trainer.train()
        kls[kl_coef] = curve(trainer, "objective/kl")
    # Seen: β=0 rises to ~5 nats by step 10; β=1 stays ≤ 1.4 (per-sequence k1 estimates over 8 tokens are noisy).
    assert max(kls[1.0]) < 2.0, kls
    assert mean(kls[0.0][-3:]) > 2.5 * mean(kls[1.0][-3:]), kls


def test_resume_reproduces_the_uninterrupted_run(tiny_model_dir, tmp_path):
    from transformers import TrainerCallback

    from align.trainers import PPOTrainer

    class Interrupt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 2:
                control.should_training_stop = True

    def run(out, callbacks=(), resume=None):
        args = config(out, max_steps=4, save_strategy="steps", save_steps=2, rollout_batch_size=8,
                      per_device_train_batch_size=2, num_ppo_epochs=2, kl_coef=0.1, kl_target=1.0,
                      kl_horizon=100, lr_scheduler_type="linear", missing_eos_penalty=0.5)
        trainer = PPOTrainer(tiny_model_dir, args, train_dataset=toy_prompts(24), reward_fn=even_fraction,
                             callbacks=list(callbacks))
        trainer.train(resume_from_checkpoint=resume)
        return trainer.state.log_history

    keys = ("loss/policy", "loss/value", "objective/proxy_reward", "objective/kl", "objective/kl_coef")
    straight = run(tmp_path / "straight")
    interrupted = run(tmp_path / "resumed", [Interrupt()])
    assert curve(interrupted, "loss/policy") and len(curve(interrupted, "loss/policy")) == 2
    checkpoint = tmp_path / "resumed" / "checkpoint-2"
    assert {"optimizer.pt", "scheduler.pt", "rng_state.pth", "ppo_state.json", "model.safetensors"} <= {
        p.name for p in checkpoint.iterdir()}
    assert (checkpoint / "value" / "model.safetensors").is_file()
    resumed = run(tmp_path / "resumed", resume=str(checkpoint))
    for key in keys:
        a, b = curve(straight, key), curve(resumed, key)
        assert len(a) == len(b) == 4, (key, a, b)
        assert b == pytest.approx(a, abs=1e-6), (key, a, b)
    assert curve(straight, "objective/kl_coef")[-1] != 0.1  # the adaptive controller moved, and was restored


def test_lora_uses_the_base_without_adapters_as_reference_and_resumes(tiny_model_dir, tmp_path):
    from peft import LoraConfig

    from align.trainers import PPOTrainer

    def run(out, resume=None):
        lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
        args = config(out, max_steps=2, save_strategy="steps", save_steps=1, activation_checkpointing=True,
                      kl_coef=0.05, kl_estimator="k3", stop_token="none", rollout_batch_size=8,
                      per_device_train_batch_size=4)
        trainer = PPOTrainer(tiny_model_dir, args, train_dataset=toy_prompts(16), reward_fn=even_fraction,
                             peft_config=lora)
        trainer.train(resume_from_checkpoint=resume)
        return trainer

    trainer = run(tmp_path / "a")
    assert trainer.ref_model is None  # no second copy: the reference is the base with adapters disabled
    kl = curve(trainer, "objective/kl")
    assert kl[0] == 0.0 and kl[1] != 0.0  # LoRA starts as the identity, then moves away from the base
    frozen = [n for n, p in trainer.policy.named_parameters() if not p.requires_grad]
    assert frozen and all("lora_" not in n for n in frozen)
    assert (tmp_path / "a" / "checkpoint-1" / "adapter_model.safetensors").is_file()
    assert curve(trainer, "completions/mean_length") == [8.0, 8.0]  # stop_token none: always response_length
    assert not curve(trainer, "objective/missing_eos_frac")
    resumed = run(tmp_path / "b", resume=str(tmp_path / "a" / "checkpoint-1"))
    assert curve(resumed, "loss/policy")[1] == pytest.approx(curve(trainer, "loss/policy")[1], abs=1e-6)


# reward model, evaluation, early stopping ----------------------------------------------------------------------

def test_reward_model_heldout_evaluation_and_early_stopping_keep_the_best_policy(tiny_model_dir, reward_model_dir,
                                                                                 tmp_path):
    from safetensors.torch import load_file

    from align.trainers import PPOTrainer

    args = config(tmp_path, max_steps=6, eval_every=1, patience=2, stop_metric="gold", rollout_batch_size=8,
                  per_device_train_batch_size=4, kl_coef=0.05, whiten_rewards=True, eval_greedy=True)
    trainer = PPOTrainer(tiny_model_dir, args, train_dataset=toy_prompts(16), eval_dataset=toy_prompts(6),
                         reward_model=reward_model_dir, gold_fn=constant_gold)
    rm_head = load_file(str(Path(reward_model_dir) / "model.safetensors"))["score.weight"]
    torch.testing.assert_close(trainer.critic.score.weight.detach(), rm_head)  # the critic starts as the RM
    trainer.train()
    history = trainer.state.log_history
    evals = [row for row in history if "eval/gold_reward" in row]
    assert [row["step"] for row in evals] == [0, 1, 2]  # best at 0, then 2 evaluations without gain: stop
    assert trainer.state.global_step == 2
    assert all(row["eval/gold_reward"] == 0.5 and "eval/proxy_reward" in row and "eval/kl" in row for row in evals)
    assert evals[0]["eval/kl"] == pytest.approx(0.0, abs=1e-5)
    assert curve(trainer, "objective/gold_reward") == [0.5, 0.5]
    assert (tmp_path / "best" / "model.safetensors").is_file()
    initial = load_file(str(Path(tiny_model_dir) / "model.safetensors"))
    for name, value in trainer.policy.state_dict().items():  # load_best_policy_at_end: the step-0 policy is back
        if name in initial:
            torch.testing.assert_close(value, initial[name])


def test_reward_model_reward_works_as_a_grpo_reward_function(tiny_model_dir, reward_model_dir, tmp_path):
    from trl import GRPOTrainer

    from align.grpo import AlignGRPOConfig
    from align.trainers import reward_model_reward

    reward = reward_model_reward(reward_model_dir)
    prompts = [[{"role": "user", "content": "hi"}], [{"role": "user", "content": "the river"}]]
    completions = [[{"role": "assistant", "content": "a town"}], [{"role": "assistant", "content": "old"}]]
    scores = reward(prompts=prompts, completions=completions)
    assert len(scores) == 2 and scores[0] != scores[1]
    assert reward(prompts=["Q: hi\nA:"], completions=[" a town"])[0] != scores[0]  # plain text: no template
    args = AlignGRPOConfig(output_dir=str(tmp_path), bf16=False, report_to="none", max_steps=1, num_generations=4,
                           per_device_train_batch_size=4, max_completion_length=6, save_strategy="no",
                           disable_tqdm=True, logging_steps=1)
    trainer = GRPOTrainer(model=tiny_model_dir, reward_funcs=[reward], args=args, train_dataset=toy_prompts(4))
    trainer.train()
    assert any("rewards/reward_model/mean" in row for row in trainer.state.log_history)


# recipe --------------------------------------------------------------------------------------------------------

def _ppo(argv):
    return run_recipe("ppo", argv)


FAST = ["--bf16", "false", "--report_to", "none", "--disable_tqdm", "true", "--rollout_batch_size", "8",
        "--per_device_train_batch_size", "4", "--num_mini_batches", "2", "--response_length", "6",
        "--num_ppo_epochs", "1", "--save_strategy", "no", "--learning_rate", "1e-3"]


def test_recipe_runs_end_to_end_on_a_prompt_dataset(tiny_model_dir, tmp_path, toy_reward):
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"Q: tell me about {i}\nA:"}) + "\n" for i in range(40)))
    out = tmp_path / "rlhf"
    metrics = _ppo(["--model_name_or_path", tiny_model_dir, "--output_dir", str(out), "--dataset_name", str(data),
                    "--rewards", json.dumps([{"name": toy_reward}]), "--gold", "test_ppo:length_gold",
                    "--heldout_prompts", "8", "--eval_every", "2", "--max_steps", "2", *FAST])
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert [row["step"] for row in history if "eval/gold_reward" in row] == [0, 2]
    assert len(curve(history, "objective/gold_reward")) == 2
    assert (out / "model.safetensors").is_file() and (out / "tokenizer.json").is_file()
    assert (out / "reward_hacking.png").stat().st_size > 1000
    assert "train_runtime" in metrics


def fake_describe_prompts(world, split, n=None, seed=0):
    """A stand-in for the world's describe-an-entity prompts (the real ones live in align.world.preference)."""
    ids = sorted(world.entities)
    ids = ids[:4] if split == "heldout" else ids[4:]
    return [{"prompt": [{"role": "user", "content": f"Tell me about {world.name(e)}."}], "entity_id": e}
            for e in ids][:n]


def fake_world_gold(world, entity_id, text):
    return float(len(world.name(entity_id)) + len(text))


def test_world_prompts_and_gold_are_imported_by_name_and_called_with_the_world(toy_reward):
    from align.ppo import PPOScriptArguments, build_rewards, import_function, world_prompts
    from align.world import World

    world = World.generate(seed=0)
    train, heldout = world_prompts(world, import_function("test_ppo:fake_describe_prompts", "prompts"), None, 3)
    assert len(heldout) == 3 and len(train) == len(world.entities) - 4
    assert not set(train["entity_id"]) & set(heldout["entity_id"])
    script_args = PPOScriptArguments(rewards=[{"name": toy_reward}], gold="test_ppo:fake_world_gold")
    _, reward_fn, gold_fn = build_rewards(script_args, world)
    row = heldout[0]
    completions = [[{"role": "assistant", "content": "She lives in a town."}]]
    assert gold_fn(prompts=[row["prompt"]], completions=completions, entity_id=[row["entity_id"]]) == [
        float(len(world.name(row["entity_id"])) + len("She lives in a town."))]
    assert reward_fn(prompts=[row["prompt"]], completions=completions, completion_ids=[[2, 4, 5]]) == [
        pytest.approx(2 / 3)]
    with pytest.raises(UserError, match="gold align.nope:gold: not importable"):
        build_rewards(PPOScriptArguments(reward_model="rm", gold="align.nope:gold"), world)
    with pytest.raises(UserError, match="expected 'module:function'"):
        import_function("no_colon", "prompts")


def test_the_world_task_fits_the_by_name_contract():
    pytest.importorskip("align.world.preference")  # written by the preference-data stage; checked once it exists
    from align.ppo import WORLD_PROMPTS, PPOScriptArguments, build_rewards, import_function, world_prompts
    from align.world import World

    world = World.generate(seed=0)
    train, heldout = world_prompts(world, import_function(WORLD_PROMPTS, "prompts"), None, 8)
    assert len(heldout) == 8 and not set(train["entity_id"]) & set(heldout["entity_id"])
    _, _, gold_fn = build_rewards(PPOScriptArguments(reward_model="rm"), world)  # gold: auto
    row = heldout[0]
    name = row["prompt"][0]["content"]
    scores = gold_fn(prompts=[row["prompt"]] * 2, completions=[[{"role": "assistant", "content": name}], "x"],
                     entity_id=[row["entity_id"]] * 2)
    assert len(scores) == 2 and all(isinstance(v, float) for v in scores)


def test_tiny_world_recipe_config_parses(tmp_path):
    from align.config import parse_recipe_args
    from align.ppo import make_parser

    config_path = Path(__file__).resolve().parents[1] / "recipes" / "tiny-world" / "ppo.yaml"
    script_args, args, model_args = parse_recipe_args(make_parser(), ["--config", str(config_path), "--output_dir",
                                                                      str(tmp_path), "--bf16", "false"])
    assert script_args.reward_model == "runs/tiny-world/reward_model" and model_args.model_name_or_path
    assert args.rollout_batch_size == 32 and args.gradient_accumulation_steps == 2 and args.patience == 3


# bad input -----------------------------------------------------------------------------------------------------

def test_bad_configs_are_one_line_errors(tiny_model_dir, tmp_path, capsys):
    from align.trainers import PPOTrainer

    with pytest.raises(UserError, match="exactly one reward"):
        PPOTrainer(tiny_model_dir, config(tmp_path), train_dataset=toy_prompts(16))
    with pytest.raises(UserError, match="no 'prompt' column"):
        PPOTrainer(tiny_model_dir, config(tmp_path), train_dataset=toy_prompts(16).rename_column("prompt", "q"),
                   reward_fn=even_fraction)
    with pytest.raises(UserError, match="must split into num_mini_batches"):
        config(tmp_path, rollout_batch_size=10, num_mini_batches=3)
    with pytest.raises(UserError, match="needs a gold_fn"):
        PPOTrainer(tiny_model_dir, config(tmp_path, eval_every=1, patience=1), train_dataset=toy_prompts(16),
                   eval_dataset=toy_prompts(4), reward_fn=even_fraction)
    code, _, err = run_cli(load_recipe("ppo").main, ["--model_name_or_path", tiny_model_dir, "--output_dir",
                                                     str(tmp_path / "x"), "--max_steps", "1", *FAST], capsys)
    assert code == 2 and "reward_model" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_plot_reward_hacking(tmp_path):
    from align.plots import plot_reward_hacking

    history = [{"step": s, "objective/proxy_reward": s / 10, "objective/gold_reward": min(s, 5) / 10 - (s > 5) * 0.05,
                "objective/kl": s * 0.5} for s in range(1, 11)]
    history += [{"step": s, "eval/proxy_reward": s / 10, "eval/gold_reward": 0.3, "eval/kl": s * 0.4}
                for s in (0, 5, 10)]
    assert plot_reward_hacking(history, tmp_path / "hack.png").stat().st_size > 1000
    assert plot_reward_hacking([{"step": 1, "loss": 1.0}], tmp_path / "none.png") is None
