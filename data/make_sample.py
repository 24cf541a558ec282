"""Write cx's generated retail sample as a CSV file, to try the upload on a file of ours.

    python data/make_sample.py --out DIR [--seed N] [--respondents N]

writes DIR/responses.csv in long format: one row per answer with every response column
(respondent, touchpoint, score, scale_min, scale_max, channel, stage, unit, answered_at,
comment), the respondent's segments as columns (persona, customer_type, region) and the
0–10 "likelihood to recommend" answer as `recommend`. The data comes from `cx.sample.generate`,
so the same seed always writes the same file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    # Run as `python data/make_sample.py` from a clone: make the `cx` package importable.
    sys.path.insert(0, str(REPO_ROOT))


def main(argv: list[str] | None = None) -> int:
    """Write responses.csv and return the process exit code."""
    from cx.sample import DEFAULT_RESPONDENTS, DEFAULT_SEED, generate, wide_responses

    parser = argparse.ArgumentParser(description="Write cx's generated retail sample as responses.csv.")
    parser.add_argument("--out", required=True, type=Path, help="folder to write responses.csv into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument(
        "--respondents", type=int, default=DEFAULT_RESPONDENTS,
        help=f"number of respondents (default {DEFAULT_RESPONDENTS})",
    )
    args = parser.parse_args(argv)
    if args.respondents < 1:
        parser.error(f"--respondents must be at least 1, got {args.respondents}")

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "responses.csv"
    frame = wide_responses(generate(seed=args.seed, respondents=args.respondents))
    # Every number in the file is a whole number except revenue, which is not written: print 4, not 4.0.
    frame.to_csv(path, index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%g")
    print(f"wrote {len(frame)} answers from {frame['respondent'].nunique()} respondents to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
