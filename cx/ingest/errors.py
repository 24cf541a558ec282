"""The errors of an import: each message says what is wrong with the file and what to do."""

from __future__ import annotations

from cx.errors import InvalidInput

__all__ = ["EmptyFile", "FileTooLarge", "IngestError", "NothingLoaded"]


class IngestError(InvalidInput):
    """A file that cannot be imported as given; the message says why and what to do."""


class EmptyFile(IngestError):
    """The file has no data rows."""


class FileTooLarge(IngestError):
    """The file is larger than the limit of the page that received it."""


class NothingLoaded(IngestError):
    """Every row was rejected: nothing was written."""
