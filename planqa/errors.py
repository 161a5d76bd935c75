"""Small domain exceptions; entry points turn them into one readable line."""


class PlanQAError(Exception):
    """Base class: the message says what went wrong and what to do next."""


class UnreadableDocument(PlanQAError):
    """A file could not be turned into text (the message is the reason)."""


class IndexMismatch(PlanQAError):
    """The index was built with another embedding model or schema."""


class IndexNotReady(PlanQAError):
    """No index exists yet, or it is being rebuilt."""


class ConfigError(PlanQAError):
    """A setting has a value we cannot use."""


class IndexBusy(PlanQAError):
    """Another process is writing the index."""


class InvalidInput(PlanQAError):
    """A question or a parameter that cannot be used: the message says which and why,
    in English (logs, CLI) and in Thai (``thai``, for the web app)."""

    def __init__(self, message: str, thai: str) -> None:
        super().__init__(message)
        self.thai = thai


class DiskFull(PlanQAError):
    """The disk holding the index is full."""
