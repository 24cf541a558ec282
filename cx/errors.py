"""Errors a user can act on: each message says what was wrong, where, and the fix."""

from __future__ import annotations


class CxError(Exception):
    """Base class: the message is shown to the user as-is, never a traceback."""


class NotFound(CxError):
    """A named journey, data set or touchpoint does not exist."""


class InvalidInput(CxError):
    """Arguments or a file that cannot be used as given."""


class DatabaseLocked(CxError):
    """Another process (usually the running app) holds the database file's write lock."""


class SchemaTooNew(CxError):
    """The database file was written by a newer cx than this one."""
