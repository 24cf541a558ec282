"""Profiling: what each staged column holds (filled, numbers, range, distinct values, dates…), for the
mapping proposal (`guesses.propose`) and the Upload page."""

from __future__ import annotations

import duckdb

from cx.guesses import ColumnProfile
from cx.ingest.number_rule import decimal_comma_sql, number_sql
from cx.ingest.staging import Staged, preview

__all__ = ["MAX_UNIQUE_CHECKS", "NA_TOKENS", "PROFILE_CELLS", "PROFILE_ROWS", "distinct_values", "profile",
           "profile_rows"]

PROFILE_ROWS = 200_000
PROFILE_CELLS = 4_000_000  # a wide file's profile reads fewer rows: 200,000 rows of 20 columns
MAX_UNIQUE_CHECKS = 20  # columns whose values are counted exactly to find a unique one (the respondent)
NA_TOKENS = ("n/a", "na", "n.a.", "not applicable", "-", "–", "?", "dk", "don't know", "none", "null", "#n/a")


def profile_rows(staged: Staged, rows: int = PROFILE_ROWS) -> int:
    """Return how many first rows the profile reads: `rows`, fewer for a wide file (at most PROFILE_CELLS cells),
    so that profiling costs about the same whatever the file's shape."""
    return max(1, min(rows, PROFILE_CELLS // max(len(staged.columns), 1)))


def profile(con: duckdb.DuckDBPyConnection, staged: Staged, *, rows: int = PROFILE_ROWS) -> list[ColumnProfile]:
    """Return what each column holds (type, range, distinct values…), from its first rows (`profile_rows`)."""
    width = len(staged.columns)
    rows = profile_rows(staged, rows)
    # One pass for every column: each row's cells unnested to (column k, cell), grouped by column. Each cell as
    # trimmed text (v) and, by the number rule, as a number (n, NULL when none).
    cells = ", ".join(f"c{i}" for i in range(1, width + 1))
    found = con.execute(
        f"""WITH cells AS (SELECT unnest(range(1, {width + 1})) AS k, unnest([{cells}]) AS c
                           FROM {staged.raw} WHERE rowid < ?),
                 typed AS (SELECT k, nullif(trim(c), '') AS v, {number_sql('c')} AS n FROM cells)
            SELECT k, count(*), count(v), count(n), count(CASE WHEN {decimal_comma_sql('v')} THEN 1 END),
                   count(CASE WHEN n = round(n) THEN 1 END), min(n), max(n), approx_count_distinct(v),
                   coalesce(max(length(v)), 0), coalesce(avg(length(v)), 0), count(TRY_CAST(v AS TIMESTAMP)),
                   approx_top_k(v, 12),
                   list_distinct(list(lower(v)) FILTER (WHERE list_contains(?::VARCHAR[], lower(v)))),
                   count(CASE WHEN n = 5 THEN 1 END), count(CASE WHEN n > 5 THEN 1 END)
            FROM typed GROUP BY k ORDER BY k""",
        [rows, list(NA_TOKENS)]).fetchall()
    by_column = {int(r[0]) - 1: r[2:] for r in found}
    total = int(found[0][1]) if found else 0
    samples = preview(con, staged, 200)
    # Respondent candidates: nearly all values different (approximately), whole numbers or short texts; an exact
    # count for the first MAX_UNIQUE_CHECKS of them only, so a file of thousands of columns costs no more.
    candidates = [i for i, vals in sorted(by_column.items()) if vals[0] and vals[6] >= 0.9 * vals[0]
                  and vals[3] == vals[1] and vals[7] <= 64]
    unique = _unique_columns(con, staged, candidates[:MAX_UNIQUE_CHECKS], rows)
    profiles = []
    nothing = (0, 0, 0, 0, None, None, 0, 0, 0.0, 0, None, None, 0, 0)  # no row was read (every line rejected)
    for i, name in enumerate(staged.columns):
        vals = by_column.get(i, nothing)
        first = [str(v) for v in samples[name].tolist() if v is not None and str(v).strip()][:200]
        profiles.append(ColumnProfile(
            name=name, rows=total, filled=int(vals[0]), numbers=int(vals[1]), comma_numbers=int(vals[2]),
            whole=int(vals[3]), lo=None if vals[4] is None else float(vals[4]),
            hi=None if vals[5] is None else float(vals[5]), distinct=int(vals[6]), max_length=int(vals[7]),
            mean_length=float(vals[8]), dates=int(vals[9]), top=tuple(str(v) for v in (vals[10] or [])),
            na_tokens=tuple(sorted(vals[11] or [])), samples=tuple(first), unique=i in unique,
            at_five=int(vals[12]), above_five=int(vals[13]),
        ))
    return profiles


def _unique_columns(con: duckdb.DuckDBPyConnection, staged: Staged, candidates: list[int], rows: int) -> set[int]:
    """Return which candidate columns (0-based) hold no value twice in their first `rows` rows (an exact count,
    one pass for all of them: a unique column is proposed as the respondent)."""
    if not candidates:
        return set()
    counts = ", ".join(f"count(DISTINCT nullif(trim(c{i + 1}), '')) = count(nullif(trim(c{i + 1}), ''))"
                       for i in candidates)
    found = con.execute(f"SELECT {counts} FROM (SELECT * FROM {staged.raw} WHERE rowid < ?)", [rows]).fetchall()[0]
    return {i for i, same in zip(candidates, found, strict=True) if same}


def distinct_values(con: duckdb.DuckDBPyConnection, staged: Staged, column: str, *, limit: int = 200) -> list[str]:
    """Return a column's distinct non-blank values in order of first appearance (at most `limit`)."""
    c = staged.col(column)
    return [r[0] for r in con.execute(
        f"SELECT v FROM (SELECT trim({c}) AS v, min(rowid) AS first FROM {staged.raw} WHERE nullif(trim({c}), '') "
        "IS NOT NULL GROUP BY v) ORDER BY first LIMIT ?", [limit]).fetchall()]
