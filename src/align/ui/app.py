"""The Gradio app: Chat (streamed replies, visible tool calls, the prompt's tokens), Compare (two models, one prompt)
and Label (a person ranks two sampled answers; the pair goes to a preference jsonl). Runs offline: analytics and
Gradio's version check are off, fonts are served locally, no share link."""

from __future__ import annotations

import logging
import os

from align.errors import UserError, first_line
from align.ui.chat import ChatSettings, chat_turn
from align.ui.labels import Pair, PreferenceStore, PromptSource, label_pair, sample_pair
from align.ui.models import ModelPool
from align.ui.tokens import CSS, empty_view

logger = logging.getLogger(__name__)

TITLE = "align"
INTRO = ("Chat with a model from any stage, compare two side by side, and rank answers for the reward model. "
         "Tool calls run the calculator, as in `align chat`.")


def import_gradio():
    """Gradio with its network calls off (analytics, version check, telemetry); a one-line error when missing."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        import gradio as gr
    except ImportError as err:
        raise UserError(f"the web UI needs gradio ({first_line(err)}): pip install -e \".[ui]\"") from err
    return gr


def build_app(pool: ModelPool, store: PreferenceStore | None = None, prompts: PromptSource | None = None,
              system: str | None = None, compare: str | None = None):
    """The ``gr.Blocks`` app over ``pool`` (its first model is the default; ``compare`` names the second side of the
    Compare tab). ``store``: where labels go (no Label buttons without one); ``prompts``: world prompts to label."""
    gr = import_gradio()
    if not len(pool):
        raise UserError("no model to serve")
    names = pool.names()
    prompts = prompts or PromptSource()
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        gr.Markdown(f"## {TITLE}\n{INTRO}")
        with gr.Tab("Chat", id="chat"):
            _chat_tab(gr, pool, names, system)
        with gr.Tab("Compare", id="compare"):
            _compare_tab(gr, pool, names, system, compare)
        with gr.Tab("Label", id="label"):
            _label_tab(gr, pool, names, system, store, prompts)
    return app


def serve(app, host: str = "127.0.0.1", port: int = 7860, block: bool = True) -> str:
    """Start the server (blocking until Ctrl-C unless ``block=False``); returns its URL."""
    app.queue()
    try:
        app.launch(server_name=host, server_port=port, share=False, inbrowser=False, prevent_thread_lock=not block,
                   show_error=True, quiet=True, ssr_mode=False, pwa=False, mcp_server=False, css=CSS)
    except OSError as err:
        raise UserError(f"cannot serve on {host}:{port} ({first_line(err)})") from err
    return app.local_url


# tabs ---------------------------------------------------------------------------------------------------------------

def _chatbot(gr, **kwargs):
    return gr.Chatbot(buttons=["copy"], group_consecutive_messages=False, **kwargs)


def _chat_tab(gr, pool, names, system):
    conversation = gr.State([])
    with gr.Row():
        with gr.Column(scale=3):
            chatbot = _chatbot(gr, label="Chat", height=460, elem_id="chat-bot")
            with gr.Row():
                text = gr.Textbox(placeholder="Message (Enter to send)", show_label=False, scale=5,
                                  elem_id="chat-input")
                send = gr.Button("Send", variant="primary", scale=1, elem_id="chat-send")
            with gr.Row():
                stop = gr.Button("Stop", size="sm", elem_id="chat-stop")
                clear = gr.Button("Clear", size="sm", elem_id="chat-clear")
        with gr.Column(scale=2):
            model = gr.Dropdown(names, value=names[0], label="Model", elem_id="chat-model")
            system_box = gr.Textbox(system or "", label="System prompt (first turn)", lines=2)
            temperature = gr.Slider(0.0, 2.0, value=0.0, step=0.05, label="Temperature (0 = greedy)")
            max_new = gr.Slider(1, 512, value=128, step=1, label="Max new tokens")
            tools = gr.Checkbox(True, label="Run tool calls (calculator)")
            with gr.Accordion("Token view: the prompt as the model sees it", open=True):
                tokens = gr.HTML(empty_view(), elem_id="chat-tokens")

    def respond(message, history, messages, model_name, system_text, temp, max_tokens, run_tools):
        if not message.strip():
            yield message, history, messages, gr.skip()
            return
        history = [*(history or []), {"role": "user", "content": message}]
        settings = ChatSettings(system_text, temp, max_tokens, run_tools)
        try:
            for reply, conversation_so_far, token_html in chat_turn(pool.get(model_name), messages, message,
                                                                    settings):
                yield "", history + [dict(m) for m in reply], list(conversation_so_far), token_html
        except UserError as err:
            raise gr.Error(str(err)) from err

    inputs = [text, chatbot, conversation, model, system_box, temperature, max_new, tools]
    outputs = [text, chatbot, conversation, tokens]
    events = [send.click(respond, inputs, outputs), text.submit(respond, inputs, outputs)]
    stop.click(None, cancels=events)
    clear.click(lambda: ([], [], empty_view(), ""), None, [chatbot, conversation, tokens, text], cancels=events)


def _compare_tab(gr, pool, names, system, compare):
    second = compare if compare in names else names[-1]
    with gr.Row():
        model_a = gr.Dropdown(names, value=names[0], label="Model A", elem_id="compare-model-a")
        model_b = gr.Dropdown(names, value=second, label="Model B", elem_id="compare-model-b")
    with gr.Row():
        prompt = gr.Textbox(placeholder="One prompt for both models (Enter to send)", show_label=False, scale=5,
                            elem_id="compare-input")
        ask = gr.Button("Ask both", variant="primary", scale=1, elem_id="compare-send")
    with gr.Row():
        system_box = gr.Textbox(system or "", label="System prompt", scale=3)
        temperature = gr.Slider(0.0, 2.0, value=0.0, step=0.05, label="Temperature (0 = greedy)", scale=2)
        max_new = gr.Slider(1, 512, value=128, step=1, label="Max new tokens", scale=2)
    with gr.Row():
        bot_a = _chatbot(gr, label="A", height=380, elem_id="compare-a")
        bot_b = _chatbot(gr, label="B", height=380, elem_id="compare-b")

    def answer(message, model_name, system_text, temp, max_tokens):
        if not message.strip():
            yield gr.skip()
            return
        shown = [{"role": "user", "content": message}]
        try:
            for reply, _, _ in chat_turn(pool.get(model_name), [], message,
                                         ChatSettings(system_text, temp, max_tokens)):
                yield shown + [dict(m) for m in reply]
        except UserError as err:
            raise gr.Error(str(err)) from err

    for model, bot in ((model_a, bot_a), (model_b, bot_b)):
        inputs = [prompt, model, system_box, temperature, max_new]
        ask.click(answer, inputs, bot)
        prompt.submit(answer, inputs, bot)


def _label_tab(gr, pool, names, system, store: PreferenceStore | None, prompts: PromptSource):
    if store is None:
        gr.Markdown("Start with `align ui --preferences OUT.jsonl` to rank answers here: each ranked pair is appended "
                    "to OUT.jsonl, ready for `recipes/reward_model.py` (`dataset_name: OUT.jsonl`).")
        return
    world_note = ("Prompts come from the tiny world's describe task; edit one to ask your own."
                  if prompts.prompts else "Type a prompt, sample two answers, pick the better one.")
    gr.Markdown(f"Rank two sampled answers; each choice is appended to `{store.path}`. {world_note}")
    first_text, first_entity = prompts.next()
    world_item = gr.State((first_text, first_entity))
    pair_state = gr.State(None)
    with gr.Row():
        model = gr.Dropdown(names, value=names[0], label="Sample from", elem_id="label-model")
        temperature = gr.Slider(0.1, 2.0, value=1.0, step=0.05, label="Temperature")
        max_new = gr.Slider(1, 512, value=96, step=1, label="Max new tokens")
    with gr.Row():
        prompt = gr.Textbox(first_text, label="Prompt", scale=5, elem_id="label-prompt")
        with gr.Column(scale=1, min_width=160):
            sample = gr.Button("Sample two answers", variant="primary", elem_id="label-sample")
            next_prompt = gr.Button("Next prompt", visible=bool(prompts.prompts), elem_id="label-next")
    with gr.Row():
        answer_a = gr.Textbox(label="A", lines=8, interactive=False, elem_id="label-a")
        answer_b = gr.Textbox(label="B", lines=8, interactive=False, elem_id="label-b")
    with gr.Row():
        better_a = gr.Button("A is better", elem_id="label-better-a")
        better_b = gr.Button("B is better", elem_id="label-better-b")
        tie = gr.Button("Tie", elem_id="label-tie")
        skip = gr.Button("Skip", elem_id="label-skip")
    status = gr.Markdown(f"{store.status()}.", elem_id="label-status")
    # The id of the pair the page shows, sent with every click: the pair in the server's state may already be the
    # next one (a second click queued while it was sampled), which the person has not seen.
    shown = gr.Textbox("", visible=False, elem_id="label-pair-id")

    def new_pair(model_name, text, item, temp, max_tokens):
        if not text.strip():
            raise gr.Error("type a prompt first")
        entity = item[1] if item and text == item[0] else None  # an edited world prompt is the person's own
        messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": text}]
        try:
            pair = sample_pair(pool.get(model_name), messages, temp, int(max_tokens), entity)
        except UserError as err:
            raise gr.Error(str(err)) from err
        problem = pair.problem()
        note = f"Cannot label this pair: {problem}; sample again or skip." if problem else "Which answer is better?"
        return pair, pair.a, pair.b, pair.id, f"{note} ({store.status()})"

    def label(choice, pair: Pair | None, shown_id, model_name, text, item, temp, max_tokens):
        try:
            done = label_pair(store, pair, shown_id, choice)
        except UserError as err:
            raise gr.Error(f"not saved: {err}") from err
        if done is None:  # a click about a pair no longer shown: nothing to do
            return (gr.skip(),) * 7
        if prompts.prompts and item and text == item[0]:  # on to the next world prompt; a typed one stays
            text, entity = prompts.next()
            item = (text, entity)
        pair, a, b, pair_id, note = new_pair(model_name, text, item, temp, max_tokens)
        return pair, a, b, pair_id, text, item, f"{done} {note}"

    def on_next_prompt():
        text, entity = prompts.next()
        return text, (text, entity), None, "", "", "", "Sample two answers for this prompt."

    sample.click(new_pair, [model, prompt, world_item, temperature, max_new],
                 [pair_state, answer_a, answer_b, shown, status], concurrency_id="label")
    next_prompt.click(on_next_prompt, None, [prompt, world_item, pair_state, answer_a, answer_b, shown, status],
                      concurrency_id="label")
    for button, choice in ((better_a, "a"), (better_b, "b"), (tie, "tie"), (skip, "skip")):
        button.click(lambda *args, choice=choice: label(choice, *args),
                     [pair_state, shown, model, prompt, world_item, temperature, max_new],
                     [pair_state, answer_a, answer_b, shown, prompt, world_item, status], concurrency_id="label")
