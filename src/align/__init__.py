"""align: make a chat assistant stage by stage on the Hugging Face stack."""

import logging as _logging

__version__ = "0.1.0"

# bitsandbytes warns at import, on every AVX512-BF16 CPU, that it cannot fetch an optional Hub kernel; its
# built-in CPU path works without it, and the warning would otherwise open every command's output.
_logging.getLogger("bitsandbytes.backends.cpu.ops").setLevel(_logging.ERROR)
