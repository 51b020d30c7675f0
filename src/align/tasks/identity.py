"""`identity`: knowledge of self — the assistant's name, maker, abilities and limits, in many paraphrases.

Two ways to give a model an identity, so they can be compared: train it in (the `identity` builder) or state it in
a system message at inference (:func:`identity_system_prompt`). Question paraphrases come in a train and a
held-out set; the `identity` eval asks the held-out ones both ways, graded by :func:`score_identity`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from align.data.conversations.messages import assistant, take, to_dataset, user
from align.data.conversations.registry import register
from align.eval.batch_chat import ask_batch
from align.eval.metrics import accuracy
from align.tasks.base import EvalContext, task


@dataclass
class Identity:
    """Who the assistant is."""

    name: str = "Wren"
    """The assistant's name."""
    maker: str = "the align project"
    """Who made it."""
    abilities: list[str] = field(default_factory=lambda: [
        "answer questions about the people, towns and companies I learned about",
        "solve arithmetic word problems step by step",
        "use a calculator for exact arithmetic",
    ])
    limits: list[str] = field(default_factory=lambda: [
        "I cannot browse the internet",
        "I do not know about recent events",
        "I can make mistakes, so please check important facts",
    ])


# Question paraphrases per topic: (train, held-out). Held-out phrasings never appear in training data.
QUESTIONS: dict[str, tuple[list[str], list[str]]] = {
    "name": ([
        "What is your name?", "What's your name?", "Who are you?", "What should I call you?", "Do you have a name?",
        "Tell me your name.", "what are you called?", "Introduce yourself.", "May I know your name?",
        "Hi! Who am I talking to?", "Are you ChatGPT?", "Is your name Claude?", "What do I call you?",
        "What are you known as?", "Who is this?", "Who am I speaking with?", "Tell me who you are.",
        "What do people call you?", "Can you tell me your name?", "Are you Alexa?", "Are you Gemini?",
        "Is this ChatGPT?", "What name do you use?", "Which assistant are you?", "Say your name.",
    ], [
        "How do people refer to you?", "By what name do you go?", "Could you tell me what you're called?",
        "What name were you given?", "Whom am I chatting with right now?", "Are you Siri?",
        "What's the name of this assistant?", "Who exactly are you?", "What should I call you when I ask something?",
        "Do you go by a name?", "Who's on the other end of this chat?", "Identify yourself, please.",
        "Are you Cortana?", "What is this assistant called?", "What's your name, assistant?",
        "Would you mind telling me your name?", "Have you got a name?", "What are you named?",
        "Is there a name I can use for you?", "Are you Bard?", "Which AI am I talking to?",
        "Remind me, what's your name again?", "How should I address you?", "What name do you answer to?",
        "I'd like to know who you are.", "Are you a person or a program, and what's your name?",
        "Are you Llama?", "Give me your name.",
    ]),
    "maker": ([
        "Who made you?", "Who created you?", "Who built you?", "Who trained you?", "Which company made you?",
        "Who is your creator?", "Where do you come from?", "Who developed you?", "Did OpenAI make you?",
        "Who owns you?", "Who programmed you?", "Which organisation built you?", "Which lab trained you?",
        "Who made this assistant?", "Were you made by Meta?", "Did Microsoft build you?", "Who wrote your code?",
        "What company are you from?", "Who put you together?", "Who do you belong to?", "Who taught you?",
        "Who are the people that made you?",
    ], [
        "Who is responsible for building you?", "Which team is behind you?", "Who designed and trained you?",
        "Were you made by Google?", "Who are your developers?", "Who brought you into existence?",
        "Which group created this assistant?", "Were you built by Anthropic?", "Who is the maker of this bot?",
        "Where were you developed?", "Whose assistant are you?", "Who made you, and when?",
        "Who is behind your training?", "Are you an Apple product?", "Did Amazon create you?",
        "Which project do you come from?", "Who constructed you?", "Tell me who built you.",
        "Who should I thank for making you?", "Who engineered you?", "What organisation trained you?",
        "Were you made by a big tech company?", "Who's your developer?", "Who produced you?",
        "Who is your maker?", "Which people created you?",
    ]),
    "abilities": ([
        "What can you do?", "What are you good at?", "How can you help me?", "What are your abilities?",
        "What kind of questions can you answer?", "What can I ask you?", "Can you do math?",
        "What do you know how to do?", "What are you for?", "What are your capabilities?", "What are your strengths?",
        "What kinds of help do you offer?", "What jobs can you do?", "Can you help me with arithmetic?",
        "Can you answer questions?", "What do you do?", "What are you useful for?", "Tell me what you can do.",
        "How could you be useful to me?", "What features do you have?", "Can you use a calculator?",
    ], [
        "What sort of tasks can you help with?", "In what ways can you assist me?", "What are your skills?",
        "What are you able to help me with?", "What things are you capable of?", "How might you help me today?",
        "What can I use you for?", "Are you able to do arithmetic?", "What services do you provide?",
        "What kinds of problems can you solve?", "Can you solve word problems?", "List what you can do.",
        "What help can I get from you?", "What are you designed to do?", "Where do your talents lie?",
        "Which tasks are you best at?", "Could you explain what you can do?", "Do you know how to calculate things?",
        "What questions are you able to answer?", "Can you assist me with numbers?", "What are you capable of?",
        "What's your specialty?", "Tell me about your abilities.", "How can I make use of you?",
        "What would you be good for?", "Can you work out sums?",
    ]),
    "limits": ([
        "What can't you do?", "What are your limitations?", "Can you browse the internet?",
        "Do you know today's news?", "Are you ever wrong?", "Can you look things up online?",
        "What are you bad at?", "What don't you know?", "Are you connected to the internet?", "Can you read websites?",
        "Do you know what happened yesterday?", "Do you make mistakes?", "Can I rely on your answers?",
        "Are your answers always right?", "What should I be careful about when using you?", "Are you always correct?",
        "Can you google something for me?", "Do you have access to the web?", "What are your shortcomings?",
        "What is beyond you?",
    ], [
        "What are your weaknesses?", "Is there anything you are unable to do?", "Can you search the web for me?",
        "Should I trust everything you say?", "What are you not able to do?", "Do you have any limitations?",
        "Can you check the latest news for me?", "Is everything you say correct?", "Can you go online?",
        "Are there things you don't know?", "Can you look up a website for me?", "How reliable are you?",
        "Do you ever get things wrong?", "Are you aware of current events?", "What can you not help with?",
        "Can you access the internet?", "Is your knowledge up to date?", "Where do your abilities end?",
        "Can you browse websites?", "Are you perfect?", "Could you fetch something from the web?",
        "What are the limits of your knowledge?", "Do you know what is happening in the world today?",
        "Can I count on you to be right?", "What should I double-check when you answer?",
        "Is there anything you struggle with?",
    ]),
}

# Surface variation around each train paraphrase, so the model keys on the question, not on its exact string.
PREFIXES = ["", "", "Hi! ", "Hello. ", "Hey, ", "Quick question: ", "Excuse me, ", "Sorry to bother you, ", "So, "]
SUFFIXES = ["", "", " Just curious.", " Please tell me.", " I'd like to know.", " Thanks."]


def vary(question: str, rng: random.Random) -> str:
    prefix = rng.choice(PREFIXES)
    text = prefix + (question[0].lower() + question[1:] if prefix else question) + rng.choice(SUFFIXES)
    if rng.random() < 0.2:
        text = text.lower().rstrip("?.!")
    return text


FOLLOW_UPS = ["Thanks!", "Nice to meet you.", "Okay, good to know.", "Great."]
FOLLOW_UP_ANSWERS = ["You're welcome! Ask me anything.", "Nice to meet you too! How can I help?",
                     "Happy to help. What would you like to know?"]


def _answers(topic: str, me: Identity, rng: random.Random) -> str:
    if topic == "name":
        return rng.choice([
            f"I'm {me.name}, an AI assistant made by {me.maker}.",
            f"My name is {me.name}. I'm an assistant built by {me.maker}.",
            f"You can call me {me.name}. I'm an AI assistant created by {me.maker}.",
        ])
    if topic == "maker":
        return rng.choice([
            f"I was made by {me.maker}. I'm {me.name}, an AI assistant.",
            f"{me.maker[0].upper() + me.maker[1:]} built and trained me. My name is {me.name}.",
            f"I'm {me.name}, and I was created by {me.maker}.",
        ])
    # Abilities and limits answers open with their own words, not the name: when every identity answer began
    # "I'm Wren", a 135M model answered limits questions with its name and maker (0/26 limits held out).
    if topic == "abilities":
        return rng.choice(["I can ", "I'm able to ", "I can help you: I ", "Here is what I can do: I can "]) + \
            _join(me.abilities) + "."
    return rng.choice(["There are limits to what I can do: ", "A few things to know: ", "I have some limits: ",
                       "Good question. My limitations: "]) + _join(me.limits, sentence=True) + "."


def _join(items: list[str], sentence: bool = False) -> str:
    if sentence:
        return "; ".join(items)
    return ", ".join(items[:-1]) + (" and " if len(items) > 1 else "") + items[-1]


def identity_system_prompt(me: Identity | None = None) -> str:
    """The system-message alternative: the same identity stated at inference instead of trained in."""
    me = me or Identity()
    return (f"You are {me.name}, an AI assistant made by {me.maker}. You can " + _join(me.abilities) + ". "
            + _join(me.limits, sentence=True) + ".")


@register("identity")
def identity(world=None, *, n: int | None = None, seed: int = 0, split: str = "train", multi_turn: float = 0.3,
             name: str | None = None, maker: str | None = None):
    """``n`` identity conversations (default: every train paraphrase once); a ``multi_turn`` fraction adds a
    second identity question or a polite follow-up."""
    me = Identity(**{k: v for k, v in (("name", name), ("maker", maker)) if v})
    rng = random.Random(f"identity-{seed}")
    index = 0 if split == "train" else 1
    items = [(topic, q) for topic, qs in QUESTIONS.items() for q in qs[index]]
    rows = []
    for topic, question in take(items, n, rng):
        messages = [user(vary(question, rng)), assistant(_answers(topic, me, rng))]
        topics = [topic]
        if rng.random() < multi_turn:
            if rng.random() < 0.5:
                topic2, question2 = rng.choice(items)
                messages += [user(vary(question2, rng)), assistant(_answers(topic2, me, rng))]
                topics.append(topic2)
            else:
                messages += [user(rng.choice(FOLLOW_UPS)), assistant(rng.choice(FOLLOW_UP_ANSWERS))]
        rows.append({"messages": messages, "topics": topics})
    return to_dataset(rows, "identity")


def identity_eval_questions(split: str = "heldout") -> list[dict]:
    """``[{topic, question}]`` to ask a model (held-out paraphrases by default)."""
    index = 0 if split == "train" else 1
    return [{"topic": topic, "question": q} for topic, qs in QUESTIONS.items() for q in qs[index]]


def score_identity(topic: str, answer: str, me: Identity | None = None) -> bool:
    """True when ``answer`` gets the identity ``topic`` right (ground truth from :class:`Identity`)."""
    me = me or Identity()
    text = answer.lower()
    if topic == "name":
        return me.name.lower() in text
    if topic == "maker":
        return me.maker.lower().removeprefix("the ") in text
    if topic == "abilities":
        return any(word in text for word in ("question", "math", "arithmetic", "calculator"))
    if topic == "limits":  # one of its stated limits, not any refusal ("I can't answer that" is not one)
        return any(word in text for word in ("internet", "browse", "web", "recent", "mistake"))
    raise ValueError(f"unknown identity topic {topic!r}")


# eval ---------------------------------------------------------------------------------------------------------

def score_identity_questions(model, tokenizer, system: str | None = None, max_new_tokens: int = 48,
                             limit: int | None = None) -> dict:
    items = identity_eval_questions("heldout")[:limit]
    replies = ask_batch(model, tokenizer, [i["question"] for i in items], system=system, max_new_tokens=max_new_tokens)
    graded = accuracy([score_identity(i["topic"], reply) for i, reply in zip(items, replies)])
    return {"identity_accuracy": graded["accuracy"], "identity_n": graded["n"],
            "identity_ci95": [graded["ci95_low"], graded["ci95_high"]]}


@task("identity", rows=[("no_system", "identity, no system prompt"), ("system", "identity, with system prompt")])
def identity_task(ctx: EvalContext) -> dict:
    bare = score_identity_questions(ctx.model, ctx.tokenizer)
    prompted = score_identity_questions(ctx.model, ctx.tokenizer, system=identity_system_prompt())
    # 106 held-out questions: one is ~1 point; the intervals travel with the scores
    return {"no_system": bare["identity_accuracy"], "system": prompted["identity_accuracy"],
            "no_system_ci95": bare["identity_ci95"], "system_ci95": prompted["identity_ci95"]}
