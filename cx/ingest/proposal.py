"""The mapping proposal for a staged file: the Upload page's pre-filled form and `python -m cx guess`, one path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import duckdb

from cx import guesses
from cx.guesses import ColumnProfile, Proposal
from cx.ingest.profiling import profile
from cx.ingest.staging import Staged

__all__ = ["propose"]


def propose(con: duckdb.DuckDBPyConnection, staged: Staged,
            profiles: Sequence[ColumnProfile] | None = None) -> Proposal:
    """Return the mapping proposed for a staged file (from `profiles`, else its profile), recording how the
    file was read so that the mapping reads it the same way again."""
    found = guesses.propose(profile(con, staged) if profiles is None else profiles)
    fmt = staged.fmt
    mapping = found.mapping.with_file(delimiter=fmt.delimiter, encoding=fmt.encoding, header=fmt.header,
                                      skip_rows=fmt.skip_rows, sheet=fmt.sheet)
    return replace(found, mapping=mapping)
