"""First run: the shipped product-launch journey, the generated sample data and its journey.

Above the store: it writes through `cx.store` only, and is the one place that knows what a new
database starts with. `open_store` is the entry point the app, the command line and the tests
use to get a connection that is migrated and, on first use, seeded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb

from cx import journey_file, sample, store
from cx.models import Journey, JourneyStep

__all__ = [
    "PRODUCT_LAUNCH",
    "PRODUCT_LAUNCH_FILE",
    "open_store",
    "restore_product_launch",
    "sample_journey",
    "seed",
]

PRODUCT_LAUNCH_FILE = store.REPO_ROOT / "data" / "product_launch.json"
PRODUCT_LAUNCH = "Product launch"


def restore_product_launch(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the shipped product-launch journey and its team assessment."""
    data = json.loads(PRODUCT_LAUNCH_FILE.read_text(encoding="utf-8"))
    journey, scores = journey_file.journey_from_dict(data)
    with store.transaction(con):
        store.save_journey(con, journey, replace=True)
        store.save_assessment(con, journey.name, scores)


def sample_journey(data: sample.SampleData) -> Journey:
    """Return the journey of the generated sample data set, its touchpoints in order."""
    steps = tuple(
        JourneyStep(position=int(r["position"]), touchpoint=str(r["touchpoint"]), stage=r["stage"],
                    channel=r["channel"], target=float(r["target"]), intentional=bool(r["intentional"]),
                    controlled=bool(r["controlled"]), operational=r.get("operational"))
        for r in data.touchpoints.to_dict("records")
    )
    return Journey(
        name=sample.SAMPLE_JOURNEY, persona="All shoppers",
        goal="Find, buy and use a new device", dataset=sample.SAMPLE_DATASET,
        description="Generated sample: a retail electronics journey with several thousand respondents.",
        steps=steps,
    )


def seed(con: duckdb.DuckDBPyConnection, generate: Callable[[], sample.SampleData] | None = None) -> bool:
    """Return True when this loaded the product-launch journey and/or the sample data (a database's first run).

    Runs once per database file: what a user deletes later stays deleted (the journey builder
    can restore the product-launch journey). `generate` replaces the sample generator (tests).
    """
    if store.get_setting(con, "seeded_at") is not None:
        return False
    generated: list[sample.SampleData] = []

    def data() -> sample.SampleData:
        if not generated:
            generated.append((generate or sample.generate)())
        return generated[0]

    added = False
    if PRODUCT_LAUNCH not in store.journey_names(con):
        restore_product_launch(con)
        added = True
    if not store.has_dataset(con, sample.SAMPLE_DATASET):
        with store.transaction(con):
            store.save_dataset(
                con, sample.SAMPLE_DATASET, data().responses, segments=data().segments,
                outcomes=data().outcomes, operational=data().operational,
                source="data/make_sample.py (generated)", kind="sample",
            )
            from cx import actions  # loads the metrics (ibis): only when the sample is seeded

            actions.seed_example_action(con, sample.SAMPLE_DATASET)  # the sample's dated improvement
        added = True
    if sample.SAMPLE_JOURNEY not in store.journey_names(con):
        store.save_journey(con, sample_journey(data()))
        added = True
    store.set_setting(con, "seeded_at", store.now().isoformat())
    return added


def open_store(path: str | Path | None = None, *, seed_if_empty: bool = True) -> duckdb.DuckDBPyConnection:
    """Return a migrated connection, seeded with the shipped journey and sample data on first use."""
    con = store.connect(path)
    if seed_if_empty:
        seed(con)
    return con
