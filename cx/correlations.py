"""Correlation-matrix algebra for the driver analysis: pairwise correlations, consistency, Higham's repair.

Pure numpy. Pairwise-deleted correlations need not fit together (a joint matrix with a
negative eigenvalue); the repair is the nearest correlation matrix (Higham, 2002).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cx.errors import DriverInputError

__all__ = [
    "consistent_correlations",
    "nearest_correlation",
    "pairwise_correlations",
    "smallest_eigenvalue",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# An eigenvalue of the (touchpoints + outcome) correlation matrix below -_PSD_TOL means the
# pairwise correlations cannot all come from one set of respondents; the repair is the nearest
# correlation matrix whose eigenvalues are at least _PSD_FLOOR (not 0, which would claim a
# perfect fit, R² = 1).
_PSD_TOL = 1e-9
_PSD_FLOOR = 1e-3
# Higham's alternating projections stop when successive iterates change by less than this
# (relative, Frobenius norm); they converge linearly, so a cap on the iterations is a safeguard.
_NEAREST_TOL = 1e-10
_NEAREST_MAX_ITER = 10_000


def pairwise_correlations(data: ArrayLike) -> tuple[FloatArray, IntArray]:
    """Return the pairwise-deletion Pearson correlations of the columns and the n behind each.

    ``data`` holds one row per respondent; NaN marks a missing answer. Entry (i, j) uses the
    rows where both columns are present and is NaN when fewer than two such rows exist or a
    column does not vary among them. Written with matrix products, so a few hundred
    bootstrap resamples stay fast.
    """
    try:
        a = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DriverInputError(f"scores must be numbers: {exc}") from exc
    if a.ndim != 2:
        raise DriverInputError(f"expected one row per respondent and one column per score, got shape {a.shape}")
    present = np.isfinite(a)
    weight = present.astype(np.float64)
    counts = weight.sum(axis=0)
    filled = np.where(present, a, 0.0)
    centre = filled.sum(axis=0) / np.maximum(counts, 1.0)
    z = np.where(present, filled - centre, 0.0)  # centred first: sums of squares stay accurate
    n = weight.T @ weight
    s = z.T @ weight  # s[i, j]: sum of column i over the rows where i and j are both present
    ss = (z * z).T @ weight
    sp = z.T @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        var = ss - s * s / n  # n x variance of column i among the rows where j is present too
        r = (sp - s * s.T / n) / np.sqrt(var * var.T)
    scale = np.abs(filled).max(axis=0, initial=0.0) ** 2 + 1.0
    flat = ~(var > 1e-12 * n * scale[:, None])
    r[(n < 2) | flat | flat.T] = np.nan
    r = np.clip(r, -1.0, 1.0)
    np.fill_diagonal(r, np.where(np.isnan(np.diag(r)), np.nan, 1.0))
    return r, n.astype(np.int64)


def _augmented(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    k = rxx.shape[0]
    full = np.empty((k + 1, k + 1))
    full[:k, :k] = rxx
    full[:k, k] = full[k, :k] = rxy
    full[k, k] = 1.0
    return full


def smallest_eigenvalue(rxx: ArrayLike, rxy: ArrayLike) -> float:
    """Return the smallest eigenvalue of the correlation matrix of the touchpoints and the outcome.

    Correlations computed from one set of respondents give a value >= 0 (up to rounding);
    pairwise-deleted correlations can give a negative one: they do not fit together.
    """
    full = _augmented(np.asarray(rxx, dtype=np.float64), np.asarray(rxy, dtype=np.float64).ravel())
    return float(np.linalg.eigvalsh((full + full.T) / 2.0).min())


def nearest_correlation(
    matrix: ArrayLike, *, floor: float = 0.0, tol: float = _NEAREST_TOL, max_iter: int = _NEAREST_MAX_ITER
) -> FloatArray:
    """Return the nearest correlation matrix to a symmetric matrix (Frobenius norm), eigenvalues >= ``floor``.

    Higham (2002), "Computing the nearest correlation matrix — a problem from finance":
    alternating projections between S = {symmetric X with every eigenvalue >= floor} (clip
    the eigenvalues) and U = {unit diagonal} (set the diagonal to 1), with Dykstra's
    correction ΔS subtracted before each projection onto S. Without the correction the
    iteration (like clipping once and rescaling) lands on *a* correlation matrix, not the
    nearest one. ``floor = 0`` is Higham's problem; a small positive floor keeps the result
    strictly positive definite. A valid correlation matrix (eigenvalues >= floor) comes
    back as it is.
    """
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DriverInputError(f"correlations must be numbers: {exc}") from exc
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise DriverInputError(f"a correlation matrix must be square and not empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise DriverInputError("the correlation matrix has missing values: every pair needs a correlation")
    if not 0.0 <= floor < 1.0:
        raise DriverInputError(f"the eigenvalue floor must be in [0, 1), got {floor}")
    a = (a + a.T) / 2.0
    y: FloatArray = a.copy()  # Y_0 = A, ΔS_0 = 0
    x = a
    correction = np.zeros_like(a)
    for _ in range(max_iter):
        r = y - correction
        values, vectors = np.linalg.eigh(r)
        x_new = (vectors * np.maximum(values, floor)) @ vectors.T
        x_new = (x_new + x_new.T) / 2.0
        correction = x_new - r
        y_new = x_new.copy()
        np.fill_diagonal(y_new, 1.0)
        size = float(np.linalg.norm(y_new))
        change = max(float(np.linalg.norm(x_new - x)), float(np.linalg.norm(y_new - y)),
                     float(np.linalg.norm(y_new - x_new))) / size
        x, y = x_new, y_new
        if change <= tol:
            return y
    # Not converged within the cap (not seen in practice): the last PSD iterate scaled to a unit
    # diagonal is still a valid correlation matrix, if not quite the nearest one.
    d = np.sqrt(np.diag(x))
    return np.asarray(x / np.outer(d, d), dtype=np.float64)


def consistent_correlations(rxx: ArrayLike, rxy: ArrayLike) -> tuple[FloatArray, FloatArray, bool]:
    """Return correlations that fit together (positive semidefinite), and whether they had to change.

    A consistent set comes back unchanged. Otherwise the joint matrix of touchpoints and
    outcome is replaced by its nearest correlation matrix (Higham, 2002) with every
    eigenvalue at least a small floor, which keeps the repaired matrix from claiming a
    perfect fit.
    """
    r = np.asarray(rxx, dtype=np.float64)
    v = np.asarray(rxy, dtype=np.float64).ravel()
    full = _augmented(r, v)
    full = (full + full.T) / 2.0
    if np.linalg.eigvalsh(full).min() >= -_PSD_TOL:
        return r, v, False
    fixed = nearest_correlation(full, floor=_PSD_FLOOR)
    k = r.shape[0]
    return fixed[:k, :k], fixed[:k, k], True
