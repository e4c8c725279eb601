"""Errors of the answering side. All derive from OpedbotError, whose message is one line."""

from index.errors import DocumentError, IndexCorruptError, IndexMissingError, OpedbotError

__all__ = ["OpedbotError", "InputError", "DocumentError", "IndexMissingError", "IndexCorruptError", "ConfigError"]


class InputError(OpedbotError):
    """A question, history or batch file that cannot be answered as given."""


class ConfigError(OpedbotError):
    """A setting with a bad value; the message names the OPEDBOT_* variable that fixes it."""
