"""Frozen value types shared by the store, metrics, charts and pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

from cx.errors import InvalidInput

__all__ = [
    "FILE_LAYOUTS",
    "FILTER_OPS",
    "OUTCOME_KINDS",
    "OUTCOME_ROLES",
    "ROLE_KINDS",
    "STAGES",
    "ClvSettings",
    "FileLayout",
    "FilterOp",
    "Journey",
    "JourneyScores",
    "JourneyStep",
    "OutcomeKind",
    "OutcomeRole",
    "Scale",
    "Source",
    "Stage",
    "Status",
    "TouchpointScore",
]



class Stage(StrEnum):
    """Where in the customer lifecycle a touchpoint sits (a cycle)."""

    ATTRACTION = "attraction"
    INTERACTION = "interaction"
    CULTIVATION = "cultivation"


STAGES: tuple[str, ...] = tuple(s.value for s in Stage)

# The vocabularies a mapping, a filter and the store use; checked at the point of entry.
FilterOp = Literal["in", ">=", "<=", "<"]
FILTER_OPS: tuple[FilterOp, ...] = get_args(FilterOp)
OutcomeKind = Literal["binary", "nps", "score", "value"]
OUTCOME_KINDS: tuple[OutcomeKind, ...] = get_args(OutcomeKind)
FileLayout = Literal["wide", "long"]
FILE_LAYOUTS: tuple[FileLayout, ...] = get_args(FileLayout)
# What an outcome stands for, as the user marked it (never read from its name): churned yes/no, revenue.
OutcomeRole = Literal["churn", "revenue"]
OUTCOME_ROLES: tuple[OutcomeRole, ...] = get_args(OutcomeRole)
ROLE_KINDS: dict[str, str] = {"churn": "binary", "revenue": "value"}  # the outcome kind each role needs


@dataclass(frozen=True)
class Scale:
    """A score scale [lo, hi]; `reversed` means a higher answer is worse."""

    lo: float
    hi: float
    reversed: bool = False

    def __post_init__(self) -> None:
        if not self.hi > self.lo:
            raise ValueError(f"scale {self.lo:g}–{self.hi:g}: the top must be above the bottom")

    @property
    def label(self) -> str:
        return f"{self.lo:g}–{self.hi:g}"


@dataclass(frozen=True)
class ClvSettings:
    """How CLV turns revenue and churn into a customer's value (the mapping's "clv", or the user's override).

    margin: the share of revenue kept (0 < margin ≤ 1); period: the label of the period revenue and
    churn are measured over ("year"); discount: the discount rate per period (0 ≤ d ≤ 1).
    """

    margin: float = 1.0
    period: str = "period"
    discount: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if not 0 < self.margin <= 1:
            problems.append(f"margin {self.margin:g} is not a share of revenue: use a number above 0 and at most 1 "
                            "(0.3 keeps 30 %)")
        if not 0 <= self.discount <= 1:
            problems.append(f"discount {self.discount:g} is not a rate per period: use 0 (none) up to 1 "
                            "(0.1 for 10 %)")
        if not self.period.strip():
            problems.append("the period needs a label, e.g. \"year\" or \"month\"")
        if problems:
            raise InvalidInput("CLV settings: " + "; ".join(problems) + ".")


@dataclass(frozen=True)
class JourneyStep:
    """One touchpoint in a journey, in journey order."""

    position: int
    touchpoint: str
    stage: str | None = None
    channel: str | None = None
    target: float | None = None
    intentional: bool = True
    controlled: bool = True
    owner: str | None = None
    note: str | None = None
    operational: str | None = None  # name of an operational metric linked to this touchpoint


@dataclass(frozen=True)
class Journey:
    """An ordered list of touchpoints one persona goes through for one goal."""

    name: str
    persona: str | None = None
    goal: str | None = None
    dataset: str | None = None
    description: str | None = None
    steps: tuple[JourneyStep, ...] = field(default_factory=tuple)


class Status(StrEnum):
    """A touchpoint's one verdict, the same on every page, download and command."""

    WEAK = "weak"  # below its target, or clearly below the journey average
    OK = "ok"
    LOW_N = "low_n"  # scored, but from fewer answers than the minimum: not ranked
    NO_SCORE = "no_score"


class Source(StrEnum):
    """Where a journey touchpoint's score comes from."""

    RESPONSES = "responses"
    ASSESSMENT = "assessment"
    NONE = "none"


@dataclass(frozen=True)
class TouchpointScore:
    """One journey touchpoint with its score, or `score is None` when there is none."""

    position: int
    touchpoint: str
    stage: str | None
    source: Source
    n: int
    mean: float | None  # on the original scale; None when asked on several scales
    scale: Scale | None  # None when asked on several scales (see `scales`)
    score: float | None  # 0–10
    low: float | None  # 95 % interval on 0–10 (responses only)
    high: float | None
    target: float | None
    low_n: bool
    weak: bool
    weak_reason: str | None
    scales: tuple[tuple[float, float], ...] = ()  # every (lo, hi) the answers came on

    @property
    def status(self) -> Status:
        if self.score is None:
            return Status.NO_SCORE
        if self.weak:
            return Status.WEAK
        return Status.LOW_N if self.low_n else Status.OK

    @property
    def mixed_scales(self) -> bool:
        return len(self.scales) > 1

    @property
    def scale_label(self) -> str:
        """Return "1–5", "mixed scales (1–5, 0–10)" or "" when unscored."""
        if self.mixed_scales:
            return "mixed scales (" + ", ".join(f"{lo:g}–{hi:g}" for lo, hi in self.scales) + ")"
        return "" if self.scale is None else self.scale.label


@dataclass(frozen=True)
class JourneyScores:
    """Every touchpoint of a journey in order, plus the aggregate that hides them."""

    journey: Journey
    touchpoints: tuple[TouchpointScore, ...]
    aggregate: float | None  # mean of the scored touchpoints, 0–10
    min_n: int
    margin: float

    @property
    def weak(self) -> tuple[TouchpointScore, ...]:
        return tuple(t for t in self.touchpoints if t.weak)

    @property
    def scored(self) -> tuple[TouchpointScore, ...]:
        return tuple(t for t in self.touchpoints if t.score is not None)
