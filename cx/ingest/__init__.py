"""Import a feedback file: file -> validated rows (+ rejected rows with their reasons) -> the store.

The path, in order, each step usable and testable on its own (one module per step):

1. `sniff(path)` (`sniffing`) reads the first megabyte in Python: encoding, delimiter, line endings,
   a preamble to skip, whether the first row is a header, and the column names.
2. `stage(con, path)` (`staging`) streams the whole file through DuckDB's own CSV reader into a
   staging table of text cells (`c1 … cN`) in a private in-memory database attached to the
   connection; rows the reader cannot split (ragged rows, broken quotes, over-long lines) are kept
   aside with their line number. Nothing in the store changes.
3. `profile(...)` (`profiling`) describes the columns; `propose(...)` (`proposal`, rules in `cx.guesses`)
   proposes a mapping — the Upload page's and `cx guess`'s.
4. `check(con, staged, mapping)` (`verdicts`, running the SQL of `checks`) returns a `Report`:
   rows read = rows to load + rows rejected, with a count, the first rows and a fix per problem.
5. `load(...)` (`loading`) writes the valid rows in one transaction; `rejected_rows(...)` returns the
   rest with a `reason` column.

`number_rule` says which text cells hold a number, once, for every step (Python and SQL spellings).
These are store-layer modules: every SQL value is a bound parameter; the only identifiers are the
generated `c1 … cN`, the staging database's generated name and cx's own tables.
"""

from __future__ import annotations

from cx.errors import EmptyFile, FileTooLarge, IngestError, NothingLoaded
from cx.ingest.checks import ROW_WORD, na_condition
from cx.ingest.loading import (
    ImportResult,
    create_journey,
    default_name,
    ingest_file,
    load,
    load_mapping_json,
    nothing_loaded_message,
    read_mapping_file,
    unused_name,
)
from cx.ingest.number_rule import parse_number
from cx.ingest.profiling import NA_TOKENS, PROFILE_ROWS, distinct_values, profile, profile_rows
from cx.ingest.proposal import propose
from cx.ingest.sniffing import (
    DELIMITER_CANDIDATES,
    SAMPLE_BYTES,
    TEXT_TYPES,
    FileFormat,
    detect_delimiter,
    detect_encoding,
    rewrite_utf8,
    sniff,
    unique_names,
)
from cx.ingest.staging import (
    MAX_COLUMNS,
    MAX_LINE_BYTES,
    STAGE_MAX_AGE_S,
    STAGE_PREFIX,
    Progress,
    Staged,
    UploadSlot,
    discard,
    limit_memory,
    preview,
    remove_upload,
    save_upload,
    stage,
)
from cx.ingest.verdicts import PARSE_PROBLEMS, Problem, Report, check, problems_text, rejected_rows, rejects_csv

__all__ = [
    # errors
    "EmptyFile", "FileTooLarge", "IngestError", "NothingLoaded",
    # the number rule
    "parse_number",
    # 1. sniffing
    "DELIMITER_CANDIDATES", "SAMPLE_BYTES", "TEXT_TYPES", "FileFormat", "detect_delimiter", "detect_encoding",
    "rewrite_utf8", "sniff", "unique_names",
    # 2. staging
    "MAX_COLUMNS",
    "MAX_LINE_BYTES", "STAGE_MAX_AGE_S", "STAGE_PREFIX", "Progress", "Staged", "UploadSlot", "discard", "limit_memory",
    "preview", "remove_upload", "save_upload", "stage",
    # 3. profiling
    "NA_TOKENS", "PROFILE_ROWS", "distinct_values", "profile", "profile_rows", "propose",
    # 4. checks and verdicts
    "PARSE_PROBLEMS", "ROW_WORD", "Problem", "Report", "check", "na_condition", "problems_text", "rejected_rows",
    "rejects_csv",
    # 5. loading
    "ImportResult", "create_journey", "default_name", "ingest_file", "load", "load_mapping_json",
    "nothing_loaded_message", "read_mapping_file", "unused_name",
]
