"""Bootstrap resamples of the driver analysis, from sums over the drawn rows instead of the rows.

Pure numpy, used by `cx.drivers.bootstrap_importance`. A resample draws n respondents with
replacement, and all its correlations need are sums over the drawn rows — counts, sums, sums
of squares and cross-products — in which a respondent drawn c times simply counts c times.
So a block of resamples becomes a matrix of counts W (resamples x respondents), and one
matrix product W @ F, where F holds each respondent's centred scores and their products,
gives every resample of the block its sums at once: each resample costs a row of W and a
small (k+1) x (k+1) step, not another pass over n rows.

The draws are the ones the row-by-row bootstrap made (same generator, same calls), so the
same seed gives the same resamples and the same intervals. Whether a resample can be analysed
(a score that does not vary in it) is a yes/no question that sums answer only up to rounding:
a resample whose sums come near the edge is handed back without correlations, and the caller
decides it from its drawn rows, as before (the same rows, in row order: only rounding differs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BLOCK_BYTES", "SLICE_BYTES", "Resample", "drawn_rows", "listwise_resamples", "pairwise_resamples"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: One resample: how often it drew each row (`drawn_rows` turns that into row numbers), and the
#: (k+1) x (k+1) correlations of the touchpoints then the outcome among those rows — NaN where a
#: pair has fewer than two respondents (it cannot be analysed), None when the sums cannot tell
#: whether a score varies (decide from the rows).
Resample = tuple[NDArray[np.floating[Any]], FloatArray | None]

#: Memory for the counts of one block of resamples (resamples x respondents).
BLOCK_BYTES = 64 * 2**20
#: Memory for the per-respondent products of one slice of rows (float64 rows x products).
SLICE_BYTES = 8 * 2**20
# A variance below this fraction of the largest possible one may be rounding around an exact 0
# (every drawn respondent gave the same score): such a resample is decided from its rows. Rounding
# in the sums is far smaller (about 1e-16 x the number of rows), a real spread far larger.
_EDGE = 1e-6


def _blocks(n: int, resamples: int, seed: int) -> Iterator[NDArray[np.floating[Any]]]:
    """Yield the resamples block by block: how often each resample drew each row (resamples x n)."""
    rng = np.random.default_rng(seed)
    # Counts are whole numbers up to n: float32 holds them exactly up to 2**24 and halves the memory.
    dtype = np.float32 if n <= 2**24 else np.float64
    per_block = max(1, min(resamples, BLOCK_BYTES // (np.dtype(dtype).itemsize * n)))
    done = 0
    while done < resamples:
        counts = np.empty((min(per_block, resamples - done), n), dtype=dtype)
        for row in counts:
            # One call per resample, as the row-by-row bootstrap made them: the same stream of draws.
            row[:] = np.bincount(rng.integers(0, n, size=(n,), dtype=np.int64), minlength=n)
        yield counts
        done += counts.shape[0]


def drawn_rows(counts: NDArray[np.floating[Any]]) -> IntArray:
    """Return the row numbers of one resample from its counts (each row as often as it was drawn)."""
    return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts.astype(np.int64))


def _summed(counts: NDArray[np.floating[Any]], data: FloatArray, products: Callable[[FloatArray], FloatArray],
            width: int) -> FloatArray:
    """Return counts @ products(data), computed a slice of rows at a time (bounded memory)."""
    n = data.shape[0]
    step = max(1, SLICE_BYTES // (8 * width))
    total = np.zeros((counts.shape[0], width))
    for lo in range(0, n, step):
        total += counts[:, lo:lo + step].astype(np.float64) @ products(data[lo:lo + step])
    return total


def listwise_resamples(data: np.ndarray, resamples: int, seed: int) -> Iterator[Resample]:
    """Yield each bootstrap resample of complete rows (touchpoints then outcome) with its correlations.

    ``data`` must have no missing value and every column must vary (the caller checks the full
    data first). Each resample's means and covariances come from the counts times each row's
    centred values and their pairwise products.
    """
    data = np.asarray(data, dtype=np.float64)
    n, p = data.shape
    centre = data.mean(axis=0)
    # Centred on the full data's means, a resample's sums of squares lose next to nothing to
    # cancellation (its own means are close to those).
    largest = ((data - centre) ** 2).max(axis=0)

    def products(rows: FloatArray) -> FloatArray:
        out = np.empty((rows.shape[0], p + 1, p))  # each row: z, then z_a * z_b for every a, b
        z = out[:, 0, :]
        np.subtract(rows, centre, out=z)
        np.multiply(z[:, :, None], z[:, None, :], out=out[:, 1:, :])
        return out.reshape(rows.shape[0], -1)

    diagonal = np.arange(p)
    for counts in _blocks(n, resamples, seed):
        sums = (_summed(counts, data, products, p * (p + 1)) / n).reshape(counts.shape[0], p + 1, p)
        means = sums[:, 0, :]
        cov = sums[:, 1:, :] - means[:, :, None] * means[:, None, :]
        cov = (cov + cov.transpose(0, 2, 1)) / 2.0
        var = cov[:, diagonal, diagonal]
        edge = (var <= _EDGE * largest).any(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.clip(cov / np.sqrt(var[:, :, None] * var[:, None, :]), -1.0, 1.0)
        corr[:, diagonal, diagonal] = 1.0
        for i, drawn in enumerate(counts):
            yield drawn, (None if edge[i] else corr[i])


def pairwise_resamples(data: np.ndarray, resamples: int, seed: int) -> Iterator[Resample]:
    """Yield each bootstrap resample of rows (touchpoints then outcome, NaN = no answer) with its correlations.

    Pairwise deletion, as `cx.correlations.pairwise_correlations` on the drawn rows: each
    correlation uses the drawn rows where both columns are present. Per pair (a, b) the counts
    give the respondents, the sums of a, of a² and of a·b over rows where both are present.
    ``data``'s full correlations must exist (the caller checks them first).
    """
    data = np.asarray(data, dtype=np.float64)
    n, p = data.shape
    present = np.isfinite(data)
    filled = np.where(present, data, 0.0)
    centre = filled.sum(axis=0) / np.maximum(present.sum(axis=0), 1)
    # The scale pairwise_correlations measures "does not vary" against, here over all rows (at
    # least the drawn rows' own): a wider edge, so every resample near it goes to the rows.
    scale = np.abs(filled).max(axis=0, initial=0.0) ** 2 + 1.0
    diagonal = np.arange(p)

    def products(rows: FloatArray) -> FloatArray:
        # Each row, for every pair (a, b): both answered; a where b is answered too (z is 0 where
        # a is not); a², likewise; a·b.
        answered = np.isfinite(rows)
        mask = answered.astype(np.float64)
        z = np.where(answered, rows - centre, 0.0)
        out = np.empty((rows.shape[0], 4, p, p))
        np.multiply(mask[:, :, None], mask[:, None, :], out=out[:, 0])
        np.multiply(z[:, :, None], mask[:, None, :], out=out[:, 1])
        np.multiply((z * z)[:, :, None], mask[:, None, :], out=out[:, 2])
        np.multiply(z[:, :, None], z[:, None, :], out=out[:, 3])
        return out.reshape(rows.shape[0], -1)

    for counts in _blocks(n, resamples, seed):
        sums = _summed(counts, data, products, 4 * p * p).reshape(counts.shape[0], 4, p, p)
        both, s, ss, sp = sums[:, 0], sums[:, 1], sums[:, 2], sums[:, 3]  # s[a, b]: sum of a where b answered
        thin = np.asarray((both < 2).any(axis=(1, 2)))  # counts are exact whole numbers
        with np.errstate(invalid="ignore", divide="ignore"):
            var = ss - s * s / both  # both x variance of a among the rows where b is answered too
            corr = (sp - s * s.transpose(0, 2, 1) / both) / np.sqrt(var * var.transpose(0, 2, 1))
            edge = ~(var > _EDGE * both * scale[:, None]).all(axis=(1, 2))
        corr = np.clip((corr + corr.transpose(0, 2, 1)) / 2.0, -1.0, 1.0)
        corr[:, diagonal, diagonal] = 1.0
        for i, drawn in enumerate(counts):
            if thin[i]:
                yield drawn, np.full((p, p), np.nan)
            else:
                yield drawn, (None if edge[i] else corr[i])
