"""The tiny world's tasks, one module each: what the assistant is taught and how that is measured.

Each module owns its task end to end — the SFT builders (registered by name for a recipe's ``mixture``), the one
grader against the world's ground truth, the RL prompts when it has them, its eval task(s) for ``align eval`` and
their report-card rows:

==================  ==================================  ===============================  =================================
module              builders                            grader                           eval tasks
==================  ==================================  ===============================  =================================
``facts``           ``world_chat``                      ``World.answer_matches``         ``knowledge``, ``knowledge_in_context``
``idk``             ``idk`` (probe: ``probe``)          ``World.is_abstention``          ``hallucination``
``identity``        ``identity``                        ``score_identity``               ``identity``
``math``            ``math_cot``, ``math_answer_first``, ``score_math`` (= the GRPO        ``math``, ``gsm8k``
                    ``tool_calc``; RL prompts           reward's ``grade``)
``describe``        ``describe``                        ``world.preference.judge``       ``reward_model``, ``win_rate``
``jagged``                                              ``jagged_correct``               ``jagged``
``copying``                                             next-token match                 ``copying``
``text``                                                                                 ``bpb``, ``regurgitation``
==================  ==================================  ===============================  =================================

Importing this package registers them all; :func:`build_mixture` builds a recipe's mixture from these builders and
the real-format loaders of :mod:`align.data.conversations.loaders`.

    from align.tasks import build_mixture, run_tasks, EvalContext
"""

from align.data.conversations.registry import BUILDERS, builder_names, get_builder
from align.eval.task_names import TASK_NAMES
from align.tasks import copying, describe, facts, identity, idk, jagged, math, text  # noqa: F401  (registers them)
from align.tasks.base import ROWS, TASKS, EvalContext, Row, Skip, model_label, run_tasks
from align.tasks.mixture import MixtureEntry, build_mixture, parse_mixture

for _name in TASK_NAMES:  # registered module by module; listed (`align eval` errors) in the documented order
    TASKS[_name] = TASKS.pop(_name)

__all__ = ["BUILDERS", "ROWS", "TASKS", "EvalContext", "MixtureEntry", "Row", "Skip", "build_mixture",
           "builder_names", "get_builder", "model_label", "parse_mixture", "run_tasks"]
