"""The web UI (`align ui`): the labelling store writes rows the reward recipe loads, the chat view shows tool calls
and the prompt's tokens, bad arguments fail in one line — and, in headless Chromium, a chat reply streams in, two
models answer side by side, and two labelled pairs land in a preference file the reward recipe accepts."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from conftest import run_cli

from align.errors import UserError
from align.tokenizer import END, TOOL_CALL, TOOL_CALL_END

CHROMIUM = Path(os.environ.get("ALIGN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
FORCED_REPLY = "The old baker sells red bread."
CALL = json.dumps({"name": "calculator", "arguments": {"expression": "123 * 456"}})


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on shared cores: threads only spin against each other
    yield
    torch.set_num_threads(threads)


class ScriptedModel:
    """Stands in for a causal LM (as in test_sft): each ``generate`` call streams the next scripted reply, cycling."""

    def __init__(self, tokenizer, replies: list[str]):
        import torch

        self.tokenizer, self.replies, self.calls = tokenizer, replies, 0
        self.device = torch.device("cpu")
        self.config = type("Config", (), {"max_position_embeddings": 4096})()

    def generate(self, input_ids, streamer, eos_token_id, max_new_tokens, **kwargs):
        import torch

        reply = self.replies[self.calls % len(self.replies)]
        self.calls += 1
        streamer.put(input_ids[0])
        for token in self.tokenizer(reply, add_special_tokens=False)["input_ids"][:max_new_tokens]:
            streamer.put(torch.tensor([token]))
            if token in eos_token_id:
                break
        streamer.end()


def calculator_script(tokenizer) -> ScriptedModel:
    return ScriptedModel(tokenizer, [f"Let me compute.{TOOL_CALL}{CALL}{TOOL_CALL_END}", f"It is 56088.{END}"])


def make_forced_model_dir(tiny_model_dir: str, out: Path, reply: str = FORCED_REPLY) -> str:
    """A real model dir whose greedy chat reply is ``reply``: every layer's output projections are zero, so the
    next token depends only on the current one (a bigram table), and the table chains ``<|assistant|>`` through
    the reply's tokens to ``<|end|>``."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from align.modeling import set_generation_defaults
    from align.tokenizer import ASSISTANT

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    chain = tokenizer.convert_tokens_to_ids([ASSISTANT]) + tokenizer(reply + END, add_special_tokens=False)["input_ids"]
    assert len(set(chain)) == len(chain), "a bigram table needs each token of the reply once"
    config = LlamaConfig.from_pretrained(tiny_model_dir)
    config.tie_word_embeddings = False
    assert len(chain) <= config.hidden_size
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(("o_proj.weight", "down_proj.weight")):
                param.zero_()
        model.model.embed_tokens.weight.zero_()
        model.lm_head.weight.zero_()
        for k, (current, following) in enumerate(zip(chain, chain[1:])):
            model.model.embed_tokens.weight[current, k] = 1.0
            model.lm_head.weight[following, k] = 10.0
    set_generation_defaults(model, tokenizer)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return str(out)


# without a browser ----------------------------------------------------------------------------------------------

def test_store_appends_rows_the_reward_recipe_loads(tmp_path):
    from align.data.preferences import load_preference_splits  # what recipes/reward_model.py reads pairs with
    from align.ui import Pair, PreferenceStore

    path = tmp_path / "labels" / "prefs.jsonl"
    store = PreferenceStore(path)
    prompt = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Tell me about Vel Ostra."}]
    store.append(Pair(prompt, "Vel Ostra is a town.", "I like café ☕.", model="m", entity_id="E1"), "a")
    store.append(Pair(prompt[1:], "First answer", "Second answer", model="m"), "b")
    threads = [threading.Thread(target=lambda k=k: [store.append(Pair(prompt[1:], f"{k}-{i} yes", f"{k}-{i} no",
                                                                      model="m"), "a") for i in range(10)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 42 and store.rows == 42
    rows = [json.loads(line) for line in lines]  # every line whole
    assert rows[0]["chosen"] == [{"role": "assistant", "content": "Vel Ostra is a town."}]
    assert rows[1]["chosen"][0]["content"] == "Second answer" and rows[1]["rejected"][0]["content"] == "First answer"
    train, _ = load_preference_splits(str(path))
    assert len(train) == 42 and train.column_names == ["prompt", "chosen", "rejected"]
    assert train[0]["prompt"] == prompt
    assert PreferenceStore(path).rows == 42  # reopened: counts what is there


def test_ties_and_skips_are_recorded_and_left_out_of_the_pairs(tmp_path):
    from align.data.preferences import load_preference_splits
    from align.ui import Pair, PreferenceStore
    from align.ui.labels import label_pair

    path = tmp_path / "prefs.jsonl"
    store = PreferenceStore(path)
    prompt = [{"role": "user", "content": "Tell me about Vel Ostra."}]
    first = Pair(prompt, "Vel Ostra is a town.", "Vel Ostra is a lake.", model="m")
    assert label_pair(store, first, first.id, "tie") == "Not saved as a pair: recorded as a tie."
    assert label_pair(store, first, first.id, "skip") == "Not saved as a pair: recorded as a skip."
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["label"], r["answers"]) for r in rows] == [("tie", [first.a, first.b]), ("skip", [first.a, first.b])]
    assert PreferenceStore(path).status() == "0 pairs in the file, 2 ties/skips"  # a file of ties only reopens
    second = Pair(prompt, "Vel Ostra is a town.", "I don't know.", model="m")
    # a click the page sent for the first pair while the second was sampled: not about the second pair
    assert label_pair(store, second, first.id, "b") is None
    assert len(path.read_text().splitlines()) == 2 and store.rows == 0
    assert label_pair(store, second, second.id, "a") == "Saved: A preferred (pair 1)."
    train, _ = load_preference_splits(str(path))
    assert len(train) == 1 and train[0]["chosen"][0]["content"] == "Vel Ostra is a town."
    assert PreferenceStore(path).status() == "1 pairs in the file, 2 ties/skips"
    with pytest.raises(UserError, match="sample two answers first"):
        label_pair(store, None, "", "a")


def test_store_refuses_bad_pairs_and_bad_files(tmp_path):
    from align.ui import Pair, PreferenceStore

    path = tmp_path / "prefs.jsonl"
    store = PreferenceStore(path)
    prompt = [{"role": "user", "content": "Hi"}]
    for a, b in (("same", "same"), ("", "something"), ("something", "  ")):
        assert Pair(prompt, a, b, model="m").problem()
        with pytest.raises(UserError):
            store.append(Pair(prompt, a, b, model="m"), "a")
    assert not path.exists()
    path.write_text('{"prompt": [{"role": "user", "content": "Hi"}], "chosen": [{"role": "assistant", "co')
    with pytest.raises(UserError, match="cut off"):
        PreferenceStore(path)
    path.write_text('{"prompt": "Hi", "chosen": "a", "rejected": "b"}\n')
    with pytest.raises(UserError, match="string"):
        PreferenceStore(path)
    path.write_text('{"prompt": [{"role": "user", "content": "Hi"}], "chosen": [], "rejected": []}\n')
    with pytest.raises(UserError, match="row 1"):
        PreferenceStore(path)


def test_chat_turn_shows_tool_calls_and_the_prompt_tokens(tokenizer):
    import re

    from align.chat_engine import ChatSession
    from align.ui.chat import ChatSettings, chat_turn
    from align.ui.models import ModelPool

    served = ModelPool().add("scripted", calculator_script(tokenizer), tokenizer)
    *_, (reply, conversation, tokens) = chat_turn(served, [], "What is 123 * 456?", ChatSettings(system="Be brief."))
    assert [m["content"] for m in reply if "metadata" not in m] == ["Let me compute.", "It is 56088."]
    box = next(m for m in reply if "metadata" in m)
    assert box["metadata"] == {"title": "tool call: calculator(123 * 456) → 56088", "status": "done"}
    assert [m["role"] for m in conversation] == ["system", "user", "assistant", "tool", "assistant"]
    session = ChatSession(served.model, tokenizer, system="Be brief.")
    session.messages.append({"role": "user", "content": "What is 123 * 456?"})
    assert [int(i) for i in re.findall(r'data-id="(\d+)"', tokens)] == session.prompt_ids()
    assert "&lt;|user|&gt;" in tokens and f"{len(session.prompt_ids())} tokens" in tokens


def test_reply_view_notes_empty_and_cut_off_replies():
    from align.chat_engine import ChatEvent
    from align.ui.chat import ReplyView

    view = ReplyView()
    view.add(ChatEvent("end", "length"))
    assert view.messages == [{"role": "assistant", "content": "*[empty reply; stopped: max new tokens]*"}]
    view = ReplyView()
    for event in (ChatEvent("text", "Hi"), ChatEvent("text", " there"), ChatEvent("end", "eos")):
        view.add(event)
    assert view.messages == [{"role": "assistant", "content": "Hi there"}]


def test_forced_model_dir_replies_as_scripted(tiny_model_dir, tmp_path):
    from align.ui.chat import ChatSettings, chat_turn
    from align.ui.models import ModelPool

    pool = ModelPool()
    served = pool.load(make_forced_model_dir(tiny_model_dir, tmp_path / "forced"))
    *_, (reply, _, _) = chat_turn(served, [], "Hello", ChatSettings())
    assert [m["content"] for m in reply] == [FORCED_REPLY]


@pytest.mark.parametrize("setup, message", [
    (lambda d: ["--model", str(d / "missing")], "no such tokenizer or model directory"),
    (lambda d: ["--model", str(d / "rm")], "a reward model"),
    (lambda d: ["--model", str(d / "rm"), "--preferences", str(d)], "is a directory"),
    (lambda d: ["--model", str(d / "rm"), "--world", str(d / "nowhere")], "no world spec"),
    (lambda d: ["--model", str(d / "rm"), "--port", "70000"], "--port"),
])
def test_cli_mistakes_are_one_line(tmp_path, capsys, setup, message):
    from align.cli import main

    (tmp_path / "rm").mkdir()
    (tmp_path / "rm" / "config.json").write_text(json.dumps({"architectures": ["LlamaForSequenceClassification"]}))
    code, _, err = run_cli(main, ["ui", *setup(tmp_path)], capsys)
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1, err


def test_missing_gradio_is_one_line(tokenizer, monkeypatch):
    from align.ui import ModelPool, build_app

    monkeypatch.setitem(__import__("sys").modules, "gradio", None)  # as if not installed
    pool = ModelPool()
    pool.add("scripted", calculator_script(tokenizer), tokenizer)
    with pytest.raises(UserError, match=r"needs gradio.*\.\[ui\]"):
        build_app(pool)


def test_busy_port_is_one_line(tokenizer):
    pytest.importorskip("gradio")
    from align.ui import ModelPool, build_app, serve

    pool = ModelPool()
    pool.add("scripted", calculator_script(tokenizer), tokenizer)
    app = build_app(pool)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(UserError, match="cannot serve on 127.0.0.1"):
            serve(app, "127.0.0.1", busy.getsockname()[1], block=False)
    app.close()


# in a browser ---------------------------------------------------------------------------------------------------

def _browser_missing() -> str | None:
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    for module in ("playwright", "gradio"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install -e '.[test]')"
    return None


def browser_test(test):
    """End to end in headless Chromium (Debian's, never a downloaded one); skipped with the reason when missing."""
    missing = _browser_missing()
    return pytest.mark.slow(pytest.mark.skipif(missing is not None, reason=str(missing))(test))


@pytest.fixture(scope="module")
def server(tiny_model_dir, tokenizer, tmp_path_factory):
    """The app on a free localhost port: the random tiny model (default), a forced model, a scripted tool user."""
    from align.ui import ModelPool, PreferenceStore, PromptSource, build_app, serve

    tmp = tmp_path_factory.mktemp("ui")
    forced = make_forced_model_dir(tiny_model_dir, tmp / "forced")
    pool = ModelPool()
    pool.load(tiny_model_dir)
    pool.load(forced)
    pool.add("scripted calculator", calculator_script(tokenizer), tokenizer)
    store = PreferenceStore(tmp / "prefs.jsonl")
    app = build_app(pool, store, PromptSource("0"), compare=forced)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = serve(app, "127.0.0.1", port, block=False)
    yield {"url": url, "forced": forced, "store": store, "pool": pool}
    app.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A fresh page on the app; fails the test if it requested anything but the local server."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    elsewhere = []
    page.on("request", lambda r: None if r.url.startswith((server["url"], "data:", "blob:")) else elsewhere.append(r.url))
    page.goto(server["url"])
    yield page
    page.close()
    assert not elsewhere, f"the page reached beyond the local server: {elsewhere[:5]}"


def choose(page, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def check_screenshot(page, path: Path) -> None:
    from PIL import Image

    page.screenshot(path=str(path), full_page=True)
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and image.width == 1280 and image.height >= 600
        colours = sorted(image.convert("RGB").getcolors(1 << 22), reverse=True)
    assert len(colours) > 200  # text, widgets: not a blank or one-colour page
    assert colours[0][0] < 0.97 * image.width * image.height  # at least 3% of the page is not background


@browser_test
def test_browser_chat_streams_a_reply_and_shows_tokens(page, server, tmp_path):
    from playwright.sync_api import expect

    from align.chat_engine import ChatSession

    choose(page, "chat-model", server["forced"])
    page.locator("#chat-input textarea").fill("Hello there")
    page.locator("#chat-send").click()
    bot = page.locator("#chat-bot")
    expect(bot.get_by_test_id("user")).to_have_text("Hello there")
    expect(bot.get_by_test_id("bot")).to_have_text(FORCED_REPLY)
    served = server["pool"].get(server["forced"])
    session = ChatSession(served.model, served.tokenizer, messages=[{"role": "user", "content": "Hello there"}])
    tokens = page.locator("#chat-tokens .align-tok")
    expect(tokens).to_have_count(len(session.prompt_ids()))
    assert [int(i) for i in tokens.evaluate_all("spans => spans.map(s => s.dataset.id)")] == session.prompt_ids()
    expect(page.locator("#chat-tokens .align-tok.special").first).to_have_text("<|system|>")  # the tools turn
    check_screenshot(page, tmp_path / "chat.png")
    # a second turn: the history goes back in, the tool-running model shows its call
    choose(page, "chat-model", "scripted calculator")
    page.locator("#chat-input textarea").fill("What is 123 * 456?")
    page.locator("#chat-input textarea").press("Enter")
    expect(bot).to_contain_text("calculator(123 * 456) → 56088")
    expect(bot.get_by_test_id("bot").last).to_have_text("It is 56088.")
    expect(page.locator("#chat-tokens")).to_contain_text(FORCED_REPLY)
    check_screenshot(page, tmp_path / "tool.png")


@browser_test
def test_browser_compare_answers_side_by_side(page, server, tmp_path):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Compare").click()
    page.locator("#compare-input textarea").fill("Tell me a story.")
    page.locator("#compare-send").click()
    for side in ("a", "b"):
        expect(page.locator(f"#compare-{side}").get_by_test_id("user")).to_have_text("Tell me a story.")
    expect(page.locator("#compare-b").get_by_test_id("bot")).to_have_text(FORCED_REPLY)
    expect(page.locator("#compare-a").get_by_test_id("bot").first).not_to_be_empty()
    check_screenshot(page, tmp_path / "compare.png")


@browser_test
def test_browser_labels_two_pairs_for_the_reward_model(page, server, tmp_path):
    from playwright.sync_api import expect

    from align.preference_training import load_pairs
    from align.reward_model import RewardScriptArguments

    store = server["store"]
    before = store.rows
    page.get_by_role("tab", name="Label").click()
    prompt = page.locator("#label-prompt textarea")
    first_prompt = prompt.input_value()
    assert first_prompt  # a world "describe" prompt
    page.locator("#label-sample").click()
    a, b = page.locator("#label-a textarea"), page.locator("#label-b textarea")
    expect(a).not_to_have_value("")
    shown = [(prompt.input_value(), a.input_value(), b.input_value())]
    page.locator("#label-better-a").click()
    expect(page.locator("#label-status")).to_contain_text(f"pair {before + 1}")
    expect(a).not_to_have_value(shown[0][1])
    assert prompt.input_value() != first_prompt  # on to the next world prompt
    shown.append((prompt.input_value(), a.input_value(), b.input_value()))
    page.locator("#label-better-b").click()
    expect(page.locator("#label-status")).to_contain_text(f"pair {before + 2}")
    shown.append((prompt.input_value(), a.input_value(), b.input_value()))
    page.locator("#label-skip").click()
    expect(page.locator("#label-status")).to_contain_text("Not saved as a pair: recorded as a skip")
    check_screenshot(page, tmp_path / "label.png")

    lines = [json.loads(line) for line in store.path.read_text().splitlines()]
    rows, skipped = [r for r in lines if "label" not in r], [r for r in lines if "label" in r]
    rows = rows[before:]
    assert len(rows) == 2 and store.rows == before + 2
    assert skipped[-1]["label"] == "skip" and skipped[-1]["prompt"] == [{"role": "user", "content": shown[2][0]}]
    def seen(side):  # a textarea shows "\r" as "\n" (the tiny model's gibberish has some)
        return side[0]["content"].replace("\r\n", "\n").replace("\r", "\n")

    for row, (text, answer_a, answer_b), chosen in zip(rows, shown, (0, 1)):
        assert row["prompt"] == [{"role": "user", "content": text}] and row["entity_id"]
        assert seen(row["chosen"]) == (answer_a, answer_b)[chosen].strip()
        assert seen(row["rejected"]) == (answer_a, answer_b)[1 - chosen].strip()
    train, heldout = load_pairs(RewardScriptArguments(dataset_name=str(store.path)))
    assert len(train) + len(heldout or []) == store.rows  # the skip is no pair


@browser_test
def test_browser_click_sent_while_the_next_pair_is_sampled_is_ignored(page, server):
    """A second click (B) sent before the page shows the next pair would label that unseen pair: it is ignored."""
    from playwright.sync_api import expect

    store = server["store"]
    page.get_by_role("tab", name="Label").click()
    page.locator("#label-sample").click()
    expect(page.locator("#label-a textarea")).not_to_have_value("")
    lines_before, pairs_before = len(store.path.read_text().splitlines()) if store.path.exists() else 0, store.rows
    page.locator("#label-better-a").click()
    page.locator("#label-better-b").click()  # at once: the pair on the page is still the one just labelled
    expect(page.locator("#label-status")).to_contain_text(f"pair {pairs_before + 1}")
    page.locator("#label-tie").click()  # queued after the B click: once it is done, so is that
    expect(page.locator("#label-status")).to_contain_text("recorded as a tie")
    new = [json.loads(line) for line in store.path.read_text().splitlines()][lines_before:]
    assert [r.get("label", "pair") for r in new] == ["pair", "tie"] and store.rows == pairs_before + 1
