"""align: make a chat assistant stage by stage on the Hugging Face stack."""

__version__ = "0.1.0"
