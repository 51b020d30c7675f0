"""Planted personal data (emails, phones, street addresses, IPv4) with exact ground-truth strings."""

from __future__ import annotations

import random

_MAIL_DOMAINS = ["mailbox.com", "postfast.net", "inboxly.org", "quickmail.com", "letterbox.net"]
_STREETS = ["Elm Street", "Maple Avenue", "Harbour Road", "Mill Lane", "Church Street", "Station Road",
            "Oak Drive", "Willow Way", "High Street", "Bridge Road", "Orchard Close", "Kings Road"]
_USER_WORDS = ["sunny", "blue", "quiet", "happy", "swift", "lucky", "green", "brave", "clever", "misty"]
_USER_NOUNS = ["fox", "river", "panda", "cloud", "tiger", "maple", "otter", "comet", "pebble", "falcon"]


def username(rng: random.Random) -> str:
    return f"{rng.choice(_USER_WORDS)}{rng.choice(_USER_NOUNS)}{rng.randint(1, 99)}"


def email(rng: random.Random, local: str | None = None) -> str:
    local = local or f"{rng.choice(_USER_WORDS)}.{rng.choice(_USER_NOUNS)}{rng.randint(1, 999)}"
    return f"{local}@{rng.choice(_MAIL_DOMAINS)}"


def phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(200, 999), rng.randint(0, 9999)
    return rng.choice([f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"+1 {a} {b} {c:04d}", f"{a}.{b}.{c:04d}",
                       f"+44 20 {b * 10 + c % 10} {c:04d}", f"+49 30 {b}{c:04d}"])


def address(rng: random.Random) -> str:
    return f"{rng.randint(1, 250)} {rng.choice(_STREETS)}"


def ipv4(rng: random.Random) -> str:
    first = rng.choice([23, 45, 62, 81, 94, 109, 151, 178, 185, 203, 212])
    return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


_SENTENCES = {
    "email": ["You can reach me at {x}.", "Email: {x}", "Questions? Write to {x} and I will reply.",
              "Drop me a line at {x} if you have more details."],
    "phone": ["Call {x} for more information.", "Phone: {x}", "You can ring me on {x} in the evenings.",
              "For bookings call {x}."],
    "address": ["Visit us at {x}.", "Our office is at {x}.", "Letters can be sent to {x}.",
                "The meeting is at {x}, second floor."],
    "ip": ["My server at {x} keeps timing out.", "Logged in from {x} yesterday.",
           "Posted from {x}.", "The admin panel is reachable at http://{x}/admin."],
}
_MAKERS = {"email": email, "phone": phone, "address": address, "ip": ipv4}


def pii_sentence(rng: random.Random, kind: str | None = None) -> tuple[str, dict]:
    """A sentence carrying one planted PII item, and its ground-truth record {type, text}."""
    kind = kind or rng.choice(list(_MAKERS))
    x = _MAKERS[kind](rng)
    return rng.choice(_SENTENCES[kind]).format(x=x), {"type": kind, "text": x}
