"""The statistics module: the one z-test, bounds, Holm's correction and the exact test for shares."""

from __future__ import annotations

import math

import pytest

from cx import stats


def test_difference_is_the_golden_nps_comparison() -> None:
    # GOLDENS: NPS A 20 (SE 27.5681) − B 50 (SE 21.2132) = −30, SE 34.7851, z −0.8624, p 0.3884.
    test = stats.difference(20.0, 27.5681, 50.0, 21.2132)
    assert (test.diff, test.se, test.z, test.p) == pytest.approx((-30.0, 34.7851, -0.8624, 0.3884), abs=1e-4)
    assert not test.significant
    assert (test.low, test.high) == pytest.approx((-30 - 1.959964 * 34.7851, -30 + 1.959964 * 34.7851), abs=1e-3)


def test_no_variation_is_certain_or_no_evidence() -> None:
    assert stats.z_test(1.5, 0.0).p == 0.0 and stats.z_test(-1.5, 0.0).z == -math.inf
    assert stats.z_test(0.0, 0.0).p == 1.0


def test_bounds_clip_only_what_leaves_the_range() -> None:
    assert stats.bounded(8.52, 10.48, (0.0, 10.0)) == (8.52, 10.0)
    assert stats.bounded(-3.0, 4.0, (0.0, 10.0)) == (0.0, 4.0)
    assert stats.bounded(None, None, (0.0, 10.0)) == (None, None)
    assert stats.bounded(-3.0, 4.0, None) == (-3.0, 4.0)


def test_holm_step_down() -> None:
    # sorted 0.01, 0.03, 0.04 of three tests: 0.03, max(0.03, 2 × 0.03), max(0.06, 1 × 0.04).
    assert stats.holm([0.01, 0.04, None, 0.03]) == pytest.approx([0.03, 0.06, None, 0.06])
    assert stats.holm([0.9, 0.8]) == [1.0, 1.0]
    assert stats.holm([]) == []


def test_fisher_exact_against_known_values() -> None:
    # 3/10 vs 8/10: the classic two-sided p 0.06978; 0/30 vs 4/30: 0.1124 (the Wald z says 0.03).
    assert stats.exact_share_p(3, 10, 8, 10) == pytest.approx(0.069779, abs=1e-6)
    assert stats.exact_share_p(0, 30, 4, 30) == pytest.approx(0.112400, abs=1e-5)
    assert stats.exact_share_p(5, 10, 5, 10) == pytest.approx(1.0)
    # by hand: 1 of 2 vs 0 of 2, margins 1 success of 4: each arrangement has p = 1/2 → two-sided 1.0
    assert stats.exact_share_p(1, 2, 0, 2) == pytest.approx(1.0)
