"""The data folder: the one place on the server a browser user may reach (databases, Parquet sources).

The app's sidebar lets anyone with the page open pick a database and type a Parquet folder. What they
type is resolved here (`..`, absolute paths, `~`, symbolic links) and anything that ends up outside the
data folder is refused with one message that is the same whether the path exists or not, so the app
cannot be used to explore the server. The command line does not go through this module: its user owns
the machine and passes full paths.

- `CX_DATA_DIR`: the data folder (default: `data/` in the repository).
- `CX_MAX_DATABASES`: how many `.duckdb` files browser users may bring the data folder to by creating
  new ones from the sidebar; unset or 0 (the default) turns creation off.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cx import store
from cx.errors import InvalidInput, NotFound

__all__ = [
    "DATA_DIR_ENV", "MAX_DATABASES_ENV", "NAME_MAX", "OUTSIDE", "data_dir", "databases", "inside",
    "max_databases", "new_database", "shown_path", "source_folder",
]

DATA_DIR_ENV = "CX_DATA_DIR"
MAX_DATABASES_ENV = "CX_MAX_DATABASES"
NAME_MAX = 40  # characters in a new database's name
OUTSIDE = ("Only folders inside the data folder can be used from the browser: type a path relative to it, "
           "such as exports/march. Absolute paths, ~, '..' and links that lead out of it are refused.")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def data_dir() -> Path:
    """Return the data folder, resolved: `CX_DATA_DIR`, else data/ in the repository."""
    env = os.environ.get(DATA_DIR_ENV, "").strip()
    return (Path(env).expanduser() if env else store.REPO_ROOT / "data").resolve()


def inside(text: str) -> Path:
    """Return a path typed by a browser user, resolved inside the data folder; raise InvalidInput otherwise.

    Relative paths are taken from the data folder. The message (`OUTSIDE`) never depends on whether the
    path exists, so it tells nothing about the server's files.
    """
    root = data_dir()
    typed = text.strip()
    # "~user" would expand to that user's home only when the user exists: refuse every "~" alike.
    if not typed or typed.startswith("~") or "\x00" in typed:
        raise InvalidInput(OUTSIDE)
    try:
        resolved = (root / typed).resolve()  # an absolute `typed` replaces root; links and ".." are followed
    except (OSError, ValueError, RuntimeError) as exc:  # a loop of links, a name too long for the system
        raise InvalidInput(OUTSIDE) from exc
    if not resolved.is_relative_to(root):
        raise InvalidInput(OUTSIDE)
    return resolved


def shown_path(path: str | Path) -> str:
    """Return a path as browser users see it: relative to the data folder (as configured when outside it)."""
    p = Path(path)
    try:
        relative = p.resolve().relative_to(data_dir())
    except (ValueError, OSError):
        return str(p)  # only an operator's CX_DB / CX_SOURCE can lie outside the folder
    return relative.as_posix() if relative.parts else "."


def source_folder(text: str) -> Path:
    """Return the Parquet folder a browser user typed, inside the data folder and existing; raise a CxError."""
    folder = inside(text)
    if not folder.is_dir():
        raise NotFound(f"There is no folder {shown_path(folder)} in the data folder: write one with `python -m cx "
                       f"export --dataset NAME --out DIR`, DIR inside the data folder.")
    return folder


def databases() -> list[Path]:
    """Return the .duckdb files directly in the data folder, by name."""
    root = data_dir()
    return sorted(p for p in root.glob("*.duckdb") if p.is_file()) if root.is_dir() else []


def max_databases() -> int:
    """Return how many database files creation from the browser may bring the data folder to (0: off)."""
    try:
        return max(0, int(os.environ.get(MAX_DATABASES_ENV, "0").strip() or 0))
    except ValueError:
        return 0


def new_database(name: str) -> Path:
    """Return the path of a database a browser user asks to create (or open) by name in the data folder.

    The name keeps letters, digits, - and _ (at most NAME_MAX); an existing file of that name is simply
    opened. Creating one needs `CX_MAX_DATABASES` above the number of files already there.
    """
    clean = _UNSAFE.sub("", name.strip())[:NAME_MAX]
    if not clean:
        raise InvalidInput(f"A database name needs letters or digits (- and _ too, at most {NAME_MAX}): "
                           "e.g. workshop-march.")
    target = data_dir() / f"{clean}.duckdb"
    if target.is_file():
        return target
    limit, held = max_databases(), len(databases())
    if limit == 0:
        raise InvalidInput(f"Creating databases from the browser is off: pick one of the list, or ask whoever runs "
                           f"the app to set {MAX_DATABASES_ENV} (the most database files the data folder may hold).")
    if held >= limit:
        raise InvalidInput(f"The data folder already holds {held} database files, the most {MAX_DATABASES_ENV} "
                           "allows: pick one of the list, or delete one on the server.")
    return target
