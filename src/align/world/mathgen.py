"""Math word problems about world people and products, with calculator-checkable steps and integer answers."""

from __future__ import annotations

import ast
import hashlib
import operator
import random
from typing import TYPE_CHECKING

from align.world.templates import article, ref

if TYPE_CHECKING:
    from align.world.schema import Entity
    from align.world.world import World

_ITEMS = ["apples", "pencils", "stickers", "marbles", "books", "oranges", "cookies", "stamps", "shells", "cards"]
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def calc(expr: str) -> int | float:
    """Evaluate + - * / and parentheses on numbers (the calculator tool's semantics)."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        raise ValueError(f"unsupported expression: {expr!r}")
    v = ev(ast.parse(expr, mode="eval"))
    return int(v) if float(v).is_integer() else v


def _step(text: str, expr: str) -> dict:
    v = calc(expr)
    assert isinstance(v, int), (expr, v)
    return {"text": f"{text}: {expr} = {v}", "expression": expr, "value": v}


def _plural(cat: str) -> str:
    return cat + ("es" if cat.endswith(("sh", "ch", "x", "s")) else "s")


def _d1(r: random.Random, p: str, ps: str, pr: str, pron: str) -> tuple[str, list[dict]]:
    a, b = r.randint(2, 12), r.randint(2, 12)
    item = r.choice(_ITEMS)
    form = r.randrange(4)
    if form == 0:
        q = f"{p} has {a} {item} and gets {b} more. How many {item} does {p} have now?"
        return q, [_step(f"{item.capitalize()} in total", f"{a} + {b}")]
    if form == 1:
        a += b
        q = f"{p} had {a} {item} and gave {b} of them to a friend. How many {item} are left?"
        return q, [_step(f"{item.capitalize()} left", f"{a} - {b}")]
    if form == 2:
        q = f"One {ps} costs ${b}. {p} buys {a} of them. How many dollars does {p} pay?"
        return q, [_step("Total cost", f"{a} * {b}")]
    q = f"{p} shares {a * b} {item} equally among {b} friends. How many {item} does each friend get?"
    return q, [_step("Each friend gets", f"{a * b} / {b}")]


def _d2(r: random.Random, p: str, ps: str, pr: str, pron: str) -> tuple[str, list[dict]]:
    form = r.randrange(3)
    if form == 0:
        a, x = r.randint(2, 9), r.randint(3, 20)
        bill = ((a * x) // 50 + 1) * 50
        q = f"{p} buys {a} {pr} at ${x} each and pays with ${bill}. How much change does {p} get?"
        return q, [_step("Cost", f"{a} * {x}"), _step("Change", f"{bill} - {a * x}")]
    if form == 1:
        a, b, c = r.randint(5, 60), r.randint(2, 9), r.randint(3, 12)
        item = r.choice(_ITEMS)
        q = f"{p} has {a} {item} and buys {b} packs with {c} {item} in each pack. How many {item} does {p} have now?"
        return q, [_step("New " + item, f"{b} * {c}"), _step("Total", f"{a} + {b * c}")]
    x, d = r.randint(10, 90), r.randint(2, 7)
    y = r.randint(5, x * d - 5)
    q = f"{p} earns ${x} a day for {d} days and then spends ${y} on {article(ps)}. How many dollars does {p} have left?"
    return q, [_step("Earned", f"{x} * {d}"), _step("Left", f"{x * d} - {y}")]


def _d3(r: random.Random, p: str, ps: str, pr: str, pron: str) -> tuple[str, list[dict]]:
    form = r.randrange(3)
    if form == 0:
        a, b, x, y = r.randint(2, 9), r.randint(2, 9), r.randint(3, 40), r.randint(3, 40)
        item = r.choice(_ITEMS)
        total = a * x + b * y
        q = (f"{p} buys {a} {item} and {b} {pr}. Each {ps} costs ${y}. The total is ${total}. "
             f"How much does one of the {item} cost?")
        return q, [_step(f"Cost of the {pr}", f"{b} * {y}"), _step(f"Cost of the {item}", f"{total} - {b * y}"),
                   _step("One of the " + item, f"{a * x} / {a}")]
    if form == 1:
        n = r.randint(150, 500)
        a, b, c = r.randint(10, 60), r.randint(10, 60), r.randint(20, 150)
        q = (f"A shop has {n} {pr} in stock. It sells {a} on Monday and {b} on Tuesday, then {p} delivers {c} more. "
             f"How many {pr} does the shop have now?")
        return q, [_step("After Monday", f"{n} - {a}"), _step("After Tuesday", f"{n - a} - {b}"),
                   _step("After the delivery", f"{n - a - b} + {c}")]
    a, b, x, y = r.randint(2, 9), r.randint(2, 9), r.randint(10, 60), r.randint(10, 60)
    q = f"{p} buys {a} {pr} at ${x} each and {b} gift boxes at ${y} each. How much does {p} spend in total?"
    return q, [_step(f"The {pr}", f"{a} * {x}"), _step("The gift boxes", f"{b} * {y}"),
               _step("Total", f"{a * x} + {b * y}")]


def _d4(r: random.Random, p: str, ps: str, pr: str, pron: str) -> tuple[str, list[dict]]:
    form = r.randrange(3)
    if form == 0:
        a, b, x, y = r.randint(3, 19), r.randint(3, 19), r.randint(105, 480), r.randint(105, 480)
        total = a * x + b * y
        bill = (total // 1000 + 1) * 1000
        q = (f"{p} orders {a} {pr} at ${x} each and {b} spare parts at ${y} each, paying with ${bill}. "
             f"How much change does {p} receive?")
        return q, [_step(f"The {pr}", f"{a} * {x}"), _step("The spare parts", f"{b} * {y}"),
                   _step("Total", f"{a * x} + {b * y}"), _step("Change", f"{bill} - {total}")]
    if form == 1:
        k, boxes, d = r.randint(6, 24), r.randint(20, 90), r.randint(3, 12)
        per_day = k * boxes
        bad = r.randint(5, boxes * d // 3)
        q = (f"A factory makes {per_day} {pr} a day for {d} days and packs them in boxes of {k}. "
             f"If {bad} boxes are damaged, how many good boxes are left for {p} to sell?")
        return q, [_step(f"{pr.capitalize()} made", f"{per_day} * {d}"),
                   _step("Boxes", f"{per_day * d} / {k}"), _step("Good boxes", f"{boxes * d} - {bad}")]
    w, n, rent = r.randint(400, 1500), r.randint(4, 12), r.randint(100, 350)
    price = r.randint(100, (w - rent) * n - 100)
    q = (f"{p} earns ${w} a week and pays ${rent} rent a week. After {n} weeks {pron} buys {article(ps)} "
         f"for ${price}. How many dollars does {p} have left?")
    return q, [_step("Earned", f"{w} * {n}"), _step("Rent", f"{rent} * {n}"),
               _step("Saved", f"{w * n} - {rent * n}"), _step("Left", f"{w * n - rent * n} - {price}")]


_LEVELS = {1: _d1, 2: _d2, 3: _d3, 4: _d4}


def _in_split(question: str, split: str) -> bool:
    h = int(hashlib.md5(question.encode()).hexdigest()[:8], 16) % 5
    if split not in ("train", "test", "heldout"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return (h == 0) == (split != "train")


def math_problems(world: "World", n: int, difficulty: int = 1, seed: int = 0, split: str = "train",
                  people: list["Entity"] | None = None, products: list["Entity"] | None = None) -> list[dict]:
    """`n` problems: {question, steps:[{text, expression, value}], answer, difficulty, entity_ids}."""
    if difficulty not in _LEVELS:
        raise ValueError("difficulty must be 1..4")
    people = people or [e for e in world.known_entities() if e.kind == "person"]
    products = products or [e for e in world.known_entities() if e.kind == "product"]
    r = random.Random(f"math-{seed}-{difficulty}")
    out, seen = [], set()
    for _ in range(n * 50):
        if len(out) >= n:
            break
        person, product = r.choice(people), r.choice(products)
        pr = f"{product.name} {_plural(product.attrs.get('category', 'item'))}"
        q, steps = _LEVELS[difficulty](r, ref(person), f"{product.name} {product.attrs.get('category', 'item')}", pr, person.attrs.get("pronoun", "they"))
        if q in seen or not _in_split(q, split):
            continue
        seen.add(q)
        out.append({"question": q, "steps": steps, "answer": steps[-1]["value"], "difficulty": difficulty,
                    "entity_ids": [person.id, product.id]})
    return out
