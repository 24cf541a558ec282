"""View models: breakdown marks, unit ranking and quadrant cut-offs, computed in cx (pages only draw them)."""

from __future__ import annotations

import math

import pytest

from cx import views
from cx.metrics import REGISTRY, result_from_parts


def _share(group: str | None, kept: int, n: int):
    """A retention-rate result: `kept` of `n` customers kept."""
    return result_from_parts(REGISTRY["retention_rate"], {"n": float(n), "kept": float(kept)}, group, min_n=30)


def test_breakdown_marks_a_group_against_everyone_else() -> None:
    total = _share(None, 90 + 20 + 5, 100 + 100 + 10)
    frame = views.breakdown([_share("A", 90, 100), _share("B", 20, 100), _share("C", 5, 10)], total, 30)
    rows = frame.set_index("group")
    # A: 90 % vs the rest (20 + 5) / 110 → far higher; B: 20 % vs 95 / 110 → far lower; C: 10 answers → low n.
    assert rows.loc["A", "mark"] == "▲ higher" and rows.loc["B", "mark"] == "▼ lower"
    assert rows.loc["C", "mark"] == "low n" and math.isnan(rows.loc["C", "p"])
    rest_a = 25 / 110
    se = math.sqrt(0.9 * 0.1 / 100 + rest_a * (1 - rest_a) / 110) * 100
    assert rows.loc["A", "vs rest"] == pytest.approx(90 - 100 * rest_a)
    assert rows.loc["A", "p"] == pytest.approx(math.erfc(abs((90 - 100 * rest_a) / se) / math.sqrt(2)))
    assert list(frame.columns) == views.BREAKDOWN_COLUMNS


def test_breakdown_leaves_out_groups_without_a_value() -> None:
    total = _share(None, 40, 50)
    frame = views.breakdown([_share("A", 40, 50), _share(None, 0, 0), _share("empty", 0, 0)], total, 30)
    assert frame["group"].tolist() == ["A"]
    assert views.breakdown([], total, 30).empty


def test_unit_ranking_best_first_and_small_units_unranked() -> None:
    results = [_share("North", 45, 50), _share("South", 30, 50), _share("East", 48, 50), _share("Tiny", 5, 5)]
    table = views.unit_ranking(results, higher_is_better=True)
    assert table["unit"].tolist() == ["East", "North", "South", "Tiny"]
    assert table["rank"].tolist()[:3] == [1, 2, 3] and table["rank"].isna().tolist() == [False] * 3 + [True]
    assert table["status"].tolist() == ["ranked"] * 3 + ["low n"]
    worst_first = views.unit_ranking(results, higher_is_better=False)
    assert worst_first["unit"].tolist()[:3] == ["South", "North", "East"]


def test_quadrant_cuts_are_the_means() -> None:
    class T:
        def __init__(self, performance: float) -> None:
            self.performance = performance

    class A:
        touchpoints = [T(5.0), T(8.0), T(4.0), T(9.0)]

    cuts = views.quadrant_cuts(A())  # type: ignore[arg-type]
    assert (cuts.importance, cuts.performance) == (25.0, 6.5)  # the importance–performance golden case


def test_breakdown_marks_survive_holm_only_when_strong() -> None:
    # Four groups of 200; A differs clearly, B's raw p (≈ 0.02) is below 0.05 but not after Holm (× 3).
    groups = [_share("A", 178, 200), _share("B", 150, 200), _share("C", 160, 200), _share("D", 160, 200)]
    total = _share(None, 178 + 150 + 160 + 160, 800)
    rows = views.breakdown(groups, total, 30).set_index("group")
    assert rows.loc["A", "mark"] == "▲ higher"
    raw = rows.loc["B", "p"]
    assert raw < 0.05 and rows.loc["B", "mark"] == ""
    # Holm: the smallest p × 4, the next × 3 (never below the one before), …
    assert rows.loc["A", "p (Holm)"] == pytest.approx(4 * rows.loc["A", "p"])
    assert rows.loc["B", "p (Holm)"] == pytest.approx(3 * raw) and rows.loc["B", "p (Holm)"] > 0.05


def test_few_events_use_the_exact_test() -> None:
    # 0 of 30 against 4 of 30: the normal approximation says p ≈ 0.03, Fisher's exact test 0.112.
    def csat(group: str | None, top2: int, n: int):
        return result_from_parts(REGISTRY["csat"], {"n": float(n), "top2": float(top2)}, group, min_n=30)

    frame = views.breakdown([csat("A", 0, 30), csat("B", 4, 30)], csat(None, 4, 60), 30).set_index("group")
    assert frame.loc["A", "p"] == pytest.approx(0.1124, abs=1e-4)
    assert frame.loc["A", "mark"] == ""
