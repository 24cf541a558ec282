"""Workshop load check: N participants in real Streamlit sessions vote for a while; nothing may be lost.

Starts the app (`streamlit run app.py`, its own fresh database) and connects N participants to
it as real Streamlit sessions: each speaks Streamlit's own websocket protocol, as a phone's
browser does (a page run per send, the voting form's widget ids read from what the server drew),
without rendering. A facilitator session shows the presenter view and refreshes its live
fragment every 2 s, as the projected screen does. Each participant keeps sending scores (1–3
touchpoints per send, random 0–10, replacing their earlier votes) until the time is up; then
the facilitator closes the workshop (Close… → Yes) while the last sends are still arriving.

Afterwards the database must hold exactly the last acknowledged score of every (participant,
touchpoint): votes sent and acknowledged vs votes stored, none lost, none extra, none stale; the
assessment saved at the close must equal their means; sends after the close must be refused.

Round trip = send → the server finished the page run (vote stored, page drawn), per send. The
baseline is one participant alone on the same server, measured first; ratios are against it.

    python bench/workshop_load.py [--participants 50] [--duration 60] [--think 1.0] [--keep DIR]
                                  [--streamlit-option runner.postScriptGC=false]

Exit status 0 when nothing was lost, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from _timing import start_app  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from cx import seed, store, workshop  # noqa: E402
from cx.models import Journey, JourneyStep  # noqa: E402

JOURNEY = "Workshop load check"
TOUCHPOINTS = [f"Touchpoint {i}" for i in range(1, 11)]
PAGE = "Workshop"
RUN_TIMEOUT_S = 120.0
EXTRA: list[str] = []


# ---------------------------------------------------------------- a Streamlit session over its websocket


@dataclass
class Run:
    """What one page run drew: widget ids by label, alerts, the query string, the live fragment."""

    buttons: dict[str, str] = field(default_factory=dict)  # label -> widget id
    groups: list[tuple[str, str]] = field(default_factory=list)  # (label, widget id) of pills, in order
    alerts: list[tuple[int, str]] = field(default_factory=list)  # (Alert.Format, body)
    query_string: str | None = None
    fragment: str | None = None  # id of an auto-rerunning fragment, if the page has one
    seconds: float = 0.0


class Session:
    """One browser tab's worth of Streamlit session: send a rerun, read until the run finishes."""

    def __init__(self, url: str) -> None:
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.query_string = ""
        self.ws: Any = None

    async def open(self, query_string: str) -> Run:
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=60, ping_interval=None)
        self.query_string = query_string
        return await self.rerun()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def rerun(self, widgets: list[WidgetState] = (), *, fragment: str | None = None) -> Run:  # type: ignore[assignment]
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_name = PAGE
        state.widget_states.widgets.extend(widgets)
        if fragment:
            state.fragment_id = fragment
            state.is_auto_rerun = True
        started = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        run = await self._read(started)
        if run.query_string is not None:
            self.query_string = run.query_string
        return run

    async def _read(self, started: float) -> Run:
        run = Run()
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), RUN_TIMEOUT_S)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                element = fwd.delta.new_element
                which = element.WhichOneof("type")
                if which == "button":
                    run.buttons[element.button.label] = element.button.id
                elif which == "button_group":
                    run.groups.append((element.button_group.label, element.button_group.id))
                elif which == "alert":
                    run.alerts.append((element.alert.format, element.alert.body))
            elif kind == "page_info_changed":
                run.query_string = fwd.page_info_changed.query_string
            elif kind == "auto_rerun":
                run.fragment = fwd.auto_rerun.fragment_id
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue
                run.seconds = time.perf_counter() - started
                return run


def trigger(widget_id: str) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.trigger_value = True
    return state


def pills(widget_id: str, value: int) -> WidgetState:
    state = WidgetState(id=widget_id)
    state.string_array_value.data.append(str(value))
    return state


# ---------------------------------------------------------------- participants and the facilitator


@dataclass
class Participant:
    """What one simulated phone sent, what it was told, and how long each send took."""

    number: int
    pid: str = ""
    acknowledged: dict[str, float] = field(default_factory=dict)  # touchpoint -> last score told "saved"
    votes_sent: int = 0  # votes in acknowledged sends, replacements included
    sends: int = 0
    refused: int = 0  # sends answered "closed" (after the facilitator closed)
    round_trips: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def participate(person: Participant, url: str, code: str, stop: asyncio.Event, think: float,
                      seed: int) -> None:
    """Join, then send scores until `stop` is set, plus one last send that may meet the closed workshop."""
    rng = random.Random(seed)
    session = Session(url)
    try:
        await asyncio.sleep(rng.uniform(0, 2.0))  # people do not all join in the same millisecond
        run = await session.open(urlencode({"code": code}))
        person.pid = dict(p.split("=", 1) for p in session.query_string.split("&"))["me"]
        while True:
            last = stop.is_set()
            groups, send = run.groups, run.buttons.get("Send my scores")
            if send is None or len(groups) != len(TOUCHPOINTS):
                person.failures.append(f"no voting form: alerts {run.alerts}")
                return
            picked = {i: rng.randint(0, 10) for i in rng.sample(range(len(TOUCHPOINTS)), rng.randint(1, 3))}
            run = await session.rerun([pills(groups[i][1], s) for i, s in picked.items()] + [trigger(send)])
            person.sends += 1
            person.round_trips.append(run.seconds)
            bodies = [(fmt, body) for fmt, body in run.alerts]
            if any(fmt == Alert.SUCCESS and body.startswith("Thank you!") for fmt, body in bodies):
                person.acknowledged.update({TOUCHPOINTS[i]: float(s) for i, s in picked.items()})
                person.votes_sent += len(picked)
            elif any("closed" in body for _, body in bodies):
                person.refused += 1
                return
            else:
                person.failures.append(f"send not acknowledged: {bodies}")
                return
            if last:
                return
            await asyncio.sleep(rng.uniform(0, 2 * think))
    except Exception as exc:  # reported, never hidden
        person.failures.append(repr(exc))
    finally:
        await session.close()


async def present(url: str, code: str, stop: asyncio.Event, trips: list[float]) -> None:
    """The projected presenter view: refresh the live fragment every 2 s until `stop`."""
    session = Session(url)
    try:
        run = await session.open(urlencode({"code": code, "view": "present"}))
        fragment = run.fragment
        while not stop.is_set() and fragment:
            await asyncio.sleep(2.0)
            trips.append((await session.rerun(fragment=fragment)).seconds)
    finally:
        await session.close()


async def close_workshop(url: str, code: str) -> tuple[str, float]:
    """Close the workshop as the facilitator does (Close… → Yes); return the message shown and the time."""
    session = Session(url)
    try:
        run = await session.open(urlencode({"code": code, "view": "present"}))
        started = time.perf_counter()
        run = await session.rerun([trigger(run.buttons["Close the workshop…"])])
        run = await session.rerun([trigger(run.buttons["Yes, close and save"])])
        shown = next((body for fmt, body in run.alerts if fmt == Alert.SUCCESS), str(run.alerts))
        return shown, time.perf_counter() - started
    finally:
        await session.close()


async def baseline(url: str, code: str, sends: int) -> list[float]:
    """Return the round trips of one participant alone."""
    person = Participant(-1)
    stop = asyncio.Event()

    async def stop_after() -> None:
        while person.sends < sends - 1 and not person.failures:
            await asyncio.sleep(0.05)
        stop.set()

    await asyncio.gather(participate(person, url, code, stop, 0.05, 7), stop_after())
    if person.failures:
        raise RuntimeError(f"baseline participant failed: {person.failures}")
    return person.round_trips


# ---------------------------------------------------------------- the app server


# ---------------------------------------------------------------- the check


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load(url: str, code: str, warmup: str, args: argparse.Namespace) -> dict[str, Any]:
    base = await baseline(url, warmup, args.baseline_sends)
    people = [Participant(i) for i in range(args.participants)]
    stop, stop_presenter = asyncio.Event(), asyncio.Event()
    presenter_trips: list[float] = []
    started = time.perf_counter()
    tasks = [asyncio.create_task(participate(p, url, code, stop, args.think, 1000 + p.number)) for p in people]
    presenter = asyncio.create_task(present(url, code, stop_presenter, presenter_trips))
    await asyncio.sleep(args.duration)
    stop.set()  # everyone sends once more: those sends race with the close
    await asyncio.sleep(min(1.0, args.think))
    closed_message, close_seconds = await close_workshop(url, code)
    await asyncio.gather(*tasks)
    stop_presenter.set()
    await presenter
    return {"people": people, "baseline": base, "elapsed": time.perf_counter() - started,
            "closed": closed_message, "close_seconds": close_seconds, "presenter": presenter_trips}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=50, help="simulated phones (default 50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of voting (default 60)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="mean pause between one participant's sends, in seconds (default 1.0)")
    parser.add_argument("--baseline-sends", type=int, default=10, help="sends of the lone participant (default 10)")
    parser.add_argument("--keep", help="keep the database and server log in this folder")
    parser.add_argument("--streamlit-option", action="append", default=[], metavar="NAME=VALUE",
                        help="extra `streamlit run` option, e.g. runner.postScriptGC=false (repeatable)")
    args = parser.parse_args(argv)
    for option in args.streamlit_option:
        name, _, value = option.partition("=")
        EXTRA.extend([f"--{name}", value])

    workdir = Path(args.keep or tempfile.mkdtemp(prefix="cx-workshop-load-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "cx.duckdb"
    con = seed.open_store(db)
    steps = tuple(JourneyStep(position=i, touchpoint=t, stage="interaction") for i, t in enumerate(TOUCHPOINTS, 1))
    store.save_journey(con, Journey(name=JOURNEY, persona="Load check", steps=steps), replace=True)
    warmup = workshop.start_workshop(con, JOURNEY).code
    code = workshop.start_workshop(con, JOURNEY).code
    con.close()  # the app's process must be the only one writing the file

    process, url = start_app(db, workdir / "server.log", EXTRA)
    try:
        print(f"Workshop {code} on {url}: {args.participants} participants × {len(TOUCHPOINTS)} touchpoints "
              f"for {args.duration:g} s (think time ~{args.think:g} s), one presenter view refreshing every 2 s"
              + (f"; streamlit options {' '.join(EXTRA)}" if EXTRA else ""))
        result = asyncio.run(load(url, code, warmup, args))
    finally:
        process.terminate()
        process.wait(30)

    con = store.connect(db)
    rows = con.execute("SELECT participant, touchpoint, score FROM workshop_votes WHERE code = ?", [code]).fetchall()
    saved = store.assessments(con, JOURNEY, workshop.source_name(code))
    status = workshop.get_workshop(con, code).status
    con.close()
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)

    people: list[Participant] = result["people"]
    stored = {(p, tp): s for p, tp, s in rows}
    expected = {(p.pid, tp): s for p in people for tp, s in p.acknowledged.items()}
    lost = set(expected) - set(stored)
    extra = set(stored) - set(expected)
    stale = {k for k in set(expected) & set(stored) if expected[k] != stored[k]}
    by_tp: dict[str, list[float]] = {}
    for (_, tp), s in expected.items():
        by_tp.setdefault(tp, []).append(s)
    assessment_ok = saved.keys() == by_tp.keys() and all(
        abs(saved[tp][0] - sum(v) / len(v)) < 1e-9 and saved[tp][1] == len(v) for tp, v in by_tp.items())
    failures = [f"participant {p.number}: {f}" for p in people for f in p.failures]
    sends = sum(p.sends for p in people)
    refused = sum(p.refused for p in people)
    trips = [t for p in people for t in p.round_trips]
    base = result["baseline"]

    print(f"\nSends: {sends} in {result['elapsed']:.1f} s ({sends / result['elapsed']:.1f}/s): "
          f"{sends - refused - len(failures)} acknowledged, {refused} refused after the close, {len(failures)} failed")
    print(f"Votes sent and acknowledged (replacements included): {sum(p.votes_sent for p in people)}")
    print(f"Votes the database must hold (last acknowledged per participant × touchpoint): {len(expected)}")
    print(f"Votes stored: {len(stored)}   lost: {len(lost)}   unacknowledged extra: {len(extra)}   "
          f"stale score: {len(stale)}")
    print(f"Close: '{result['closed']}' ({result['close_seconds']:.2f} s); workshop status '{status}'; "
          f"assessment equals the acknowledged votes' means: {'yes' if assessment_ok else 'NO'}")
    b50 = statistics.median(base)
    print("\nRound trip of one send (send → page run finished), seconds:")
    print(f"  baseline, one participant alone: median {b50:.3f}, slowest {max(base):.3f}")
    if trips:
        print(f"  under load: median {statistics.median(trips):.3f} ({statistics.median(trips) / b50:.1f}× baseline), "
              f"p95 {_pct(trips, 0.95):.3f} ({_pct(trips, 0.95) / b50:.1f}×), "
              f"slowest {max(trips):.3f} ({max(trips) / b50:.1f}×)")
    if result["presenter"]:
        print(f"  presenter's live refresh: median {statistics.median(result['presenter']):.3f}, "
              f"slowest {max(result['presenter']):.3f} ({len(result['presenter'])} refreshes)")
    for line in failures[:10]:
        print("  FAILURE", line)
    ok = not (lost or extra or stale or failures) and assessment_ok and status == workshop.CLOSED and \
        len(stored) == len(expected)
    print("\nRESULT:", "OK: every acknowledged vote stored exactly once, nothing unacknowledged stored"
          if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
