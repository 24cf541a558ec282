"""Errors a user can act on: each message says what was wrong, where, and the fix."""

from __future__ import annotations

__all__ = [
    "CxError",
    "DatabaseFileGone",
    "DatabaseLocked",
    "DiskFull",
    "DriverInputError",
    "EmptyFile",
    "EngineUnavailable",
    "FileTooLarge",
    "IngestError",
    "InvalidInput",
    "MappingError",
    "NotACxDatabase",
    "NotFound",
    "NothingLoaded",
    "SchemaTooNew",
    "WorkshopClosed",
]


class CxError(Exception):
    """Base class: the message is shown to the user as-is, never a traceback."""


class NotFound(CxError):
    """A named journey, data set or touchpoint does not exist."""


class InvalidInput(CxError):
    """Arguments or a file that cannot be used as given."""


class DatabaseLocked(CxError):
    """Another process (usually the running app) holds the database file's write lock."""


class DatabaseFileGone(CxError):
    """The database file was deleted or replaced while a program was using it."""


class NotACxDatabase(CxError):
    """The file is not a cx database (another application's DuckDB file, or not DuckDB at all): cx leaves it alone."""


class DiskFull(CxError):
    """A write failed because the disk is full; nothing of it was saved."""


class SchemaTooNew(CxError):
    """The database file was written by a newer cx than this one."""


class EngineUnavailable(CxError):
    """The chosen engine cannot run here (no pyspark, no Java, cluster unreachable)."""


class MappingError(InvalidInput):
    """The mapping cannot be used: a bad key, value or a column the file does not have."""


class DriverInputError(InvalidInput, ValueError):
    """Driver-analysis input that cannot be used as given; the message says the fix."""


class TooLittleForDrivers(DriverInputError):
    """The data (with its filters) is too thin for a driver analysis yet: no scored touchpoints, too few answers or
    respondents, one outcome value. An expected state of a data set, not a fault; the message says what would do."""


class WorkshopClosed(CxError):
    """The workshop no longer takes votes."""


class IngestError(InvalidInput):
    """A file that cannot be imported as given; the message says why and what to do."""


class EmptyFile(IngestError):
    """The file has no data rows."""


class FileTooLarge(IngestError):
    """The file is larger than the limit of the page that received it."""


class NothingLoaded(IngestError):
    """Every row was rejected: nothing was written."""
