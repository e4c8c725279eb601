"""Domain errors of the indexing side. Edges (CLI, REST, UI) turn them into clear messages."""


class OpedbotError(Exception):
    """Base class: every error meant for a user. Its message is one line, without a traceback."""


class DocumentError(OpedbotError):
    """A document could not be read or parsed (wrong type, not UTF-8, empty)."""


class IndexMissingError(OpedbotError):
    """No index has been built in the data dir yet."""


class IndexCorruptError(OpedbotError):
    """The index in the data dir is unreadable."""
