"""The names of ``align eval``'s tasks and the default sets, importable without torch (the CLI's ``--help`` lists
them). The tasks themselves are registered in :mod:`align.tasks`, one per name here."""

TASK_NAMES = ["bpb", "knowledge", "knowledge_in_context", "hallucination", "identity", "math", "jagged", "copying",
              "regurgitation", "reward_model", "win_rate", "gsm8k"]
BASE_TASKS = ["bpb", "knowledge", "copying", "regurgitation"]
CHAT_TASKS = ["bpb", "knowledge", "knowledge_in_context", "hallucination", "identity", "math", "jagged"]
QUESTION_TASKS = {"knowledge", "knowledge_in_context", "hallucination", "identity", "math", "jagged", "win_rate",
                  "gsm8k"}
"""Tasks that ask the model questions through its chat template (``knowledge`` only for chat models)."""
