"""What staged uploads cost the server, and what it gets back when the tabs close.

Starts the app in a subprocess (its own database, a short `server.disconnectedSessionTTL`), opens the
Upload page in N browser tabs (each its own session), uploads the same generated CSV in each, waits
until every page has read it, then closes the tabs. The server's resident memory (VmRSS) is read
before the uploads, after them, right after the tabs close and once Streamlit has dropped the
sessions; the ratios are against the memory before the uploads.

    python bench/uploads.py                       # 4 uploads of a ~60 MB file
    python bench/uploads.py --uploads 2 --mb 20

Needs Playwright and Debian's chromium (/usr/lib/chromium/chromium), as the browser tests do.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from _timing import start_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/lib/chromium/chromium"


def write_csv(path: Path, megabytes: float) -> int:
    """Write a wide survey export of about `megabytes` MB; return its data rows."""
    rng = random.Random(16)
    words = ["great", "slow", "friendly", "queue", "price", "clean", "late", "helpful", "noisy", "easy"]
    rows = 0
    with path.open("w", encoding="utf-8") as out:
        out.write("id,Check-in,Lounge,Boarding,Seat,Food,recommend,comment\n")
        while out.tell() < megabytes * 1e6:
            scores = ",".join(str(rng.randint(1, 5)) for _ in range(5))
            comment = " ".join(rng.choice(words) for _ in range(rng.randint(3, 12)))
            out.write(f"r{rows},{scores},{rng.randint(0, 10)},{comment}\n")
            rows += 1
    return rows


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def settled_rss(pid: int, seconds: float = 4.0) -> float:
    """Return the server's RSS once it has stopped falling (DuckDB hands memory back within ~2 s)."""
    time.sleep(seconds)
    return rss_mb(pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=4, help="browser sessions, one upload each (default 4)")
    parser.add_argument("--mb", type=float, default=60.0, help="size of the uploaded CSV in MB (default 60)")
    parser.add_argument("--ttl", type=int, default=10, help="server.disconnectedSessionTTL in seconds (default 10)")
    args = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    with tempfile.TemporaryDirectory(prefix="cx-bench-uploads-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / "survey.csv"
        rows = write_csv(csv_path, args.mb)
        print(f"file: {csv_path.stat().st_size / 1e6:.0f} MB, {rows:,} rows; {args.uploads} uploads")
        process, url = start_app(workdir / "cx.duckdb", workdir / "server.log",
                                 ["--server.disconnectedSessionTTL", str(args.ttl)])
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                contexts = [browser.new_context() for _ in range(args.uploads)]
                pages = [c.new_page() for c in contexts]
                for page in pages:
                    page.goto(f"{url}/Upload", timeout=120_000)
                    expect(page.get_by_text("Upload feedback").first).to_be_visible(timeout=120_000)
                before = settled_rss(process.pid)
                for page in pages:
                    page.get_by_role("region", name="Feedback file").locator("input[type=file]").set_input_files(
                        str(csv_path))
                    # The check's summary ends so; then wait for the script run to finish.
                    expect(page.get_by_text("Nothing is dropped silently", exact=False).first).to_be_visible(
                        timeout=600_000)
                    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                        timeout=600_000)
                after = settled_rss(process.pid)
                for context in contexts:
                    context.close()
                closed = settled_rss(process.pid)
                time.sleep(args.ttl + 8)  # cx removes a dropped session's uploaded bytes 5 s after the TTL
                # Streamlit forgets expired sessions only when its session storage is next written (a tab
                # closing) and collects them after a later script run: one tab opens and closes, a second opens.
                for probe_run in range(2):
                    probe = browser.new_page()
                    probe.goto(url, timeout=120_000)
                    expect(probe.get_by_text("customer-experience journeys").first).to_be_visible(timeout=120_000)
                    probe.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
                        timeout=120_000)
                    if probe_run == 0:
                        probe.close()
                dropped = settled_rss(process.pid)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)
    grown = after - before
    print(f"RSS before the uploads      {before:8.0f} MB  1.00")
    print(f"RSS after {args.uploads} uploads         {after:8.0f} MB  {after / before:.2f}")
    print(f"RSS once the tabs closed    {closed:8.0f} MB  {closed / before:.2f}"
          f"   (freed {(after - closed) / grown:.0%} of what the uploads took)")
    print(f"RSS after the session TTL   {dropped:8.0f} MB  {dropped / before:.2f}"
          f"   (freed {(after - dropped) / grown:.0%})")


if __name__ == "__main__":
    main()
