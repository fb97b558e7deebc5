"""Publish a directory of files atomically: readers see the old set or the new one, never a mix.

A release (the analysts' warehouse, the PII warehouse and every export of a run) is a
*directory* of files. Replacing the files one by one would let a reader open a new warehouse
next to old exports, and a crash half-way would leave that mix behind. So every version is
written into a directory of its own and the public path is a symlink that is swapped in one
``rename(2)``, which POSIX guarantees to be atomic::

    <exports_dir>/
      <destination>/<name>  -> ../.versions/<destination>/<name>/<version_id>   (symlink)
      .versions/<destination>/<name>/
        .lock                                   flock: one publisher at a time
        .partial-<version_id>/                  being written (deleted if the writer fails)
        <version_id>/                           complete, immutable versions (last N kept)

Steps of :func:`publish`:

1. take an exclusive ``flock`` on ``.lock`` (released by the kernel even if the process is
   killed), and delete debris a killed publisher left behind (``.partial-*`` directories,
   temporary symlinks);
2. create ``.partial-<version_id>/`` and let the writer fill it;
3. fsync every file and the directory, then rename it to ``<version_id>/`` -- a directory
   without the ``.partial-`` prefix is therefore always complete;
4. create a temporary symlink next to the public path and ``os.replace`` it over the public path
   (the atomic switch), fsync the parent directory;
5. delete complete versions beyond the newest ``keep`` (the current one is always kept).

If anything raises before step 4, the staged directory is removed and the public path is left
exactly as it was. If the process is killed, step 1 of the next publish cleans up.

The symlink target is relative, so the exports directory can be moved or mounted elsewhere.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

VERSIONS_DIR = ".versions"
PARTIAL_PREFIX = ".partial-"
TMP_LINK_MARKER = "~tmp-link-"  # temporary symlink: .<name>~tmp-link-<pid> ("~" cannot occur in a name)
LOCK_NAME = ".lock"
DEFAULT_KEEP = 5

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_RUN_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

T = TypeVar("T")


def _check_name(kind: str, value: str) -> str:
    # Destination and name become path components: refuse anything that could escape the tree.
    if not _SAFE_NAME.fullmatch(value) or ".." in value:
        raise ValueError(f"{kind} {value!r} must match {_SAFE_NAME.pattern} and not contain '..'")
    return value


def public_path(exports_dir: Path, destination: str, name: str) -> Path:
    """The path consumers read: a symlink to the current version directory."""
    return Path(exports_dir) / _check_name("destination", destination) / _check_name("name", name)


def versions_root(exports_dir: Path, destination: str, name: str) -> Path:
    """The directory holding every version (complete and partial) of one export."""
    return Path(exports_dir) / VERSIONS_DIR / _check_name("destination", destination) / _check_name("name", name)


def make_version_id(run_id: str, now: datetime | None = None) -> str:
    """A version id that sorts by time: ``20260501T020304.123456Z-<run id>``.

    The run id ties a version to the Dagster run that produced it; it is reduced to
    ``[A-Za-z0-9_-]`` so it is safe in a path.
    """
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    run = _RUN_ID_UNSAFE.sub("-", run_id).strip("-")[:64] or "run"
    return moment.strftime("%Y%m%dT%H%M%S.%fZ") + "-" + run


def previous_version(exports_dir: Path, destination: str, name: str) -> Path | None:
    """The version directory the public path points to now, or None if nothing was published yet.

    A public path that exists but is not a symlink, or points nowhere, is an error: treating it
    as "never exported" would turn every member into an add and every removal into nothing.
    """
    link = public_path(exports_dir, destination, name)
    if not link.is_symlink():
        if link.exists():
            raise RuntimeError(f"{link} exists but is not a symlink; it was not made by publish()")
        return None
    target = (link.parent / os.readlink(link)).resolve()
    if not target.is_dir():
        raise RuntimeError(f"{link} points to {target}, which is not a directory")
    return target


def complete_versions(exports_dir: Path, destination: str, name: str) -> list[Path]:
    """Complete version directories, oldest first (names sort by time)."""
    root = versions_root(exports_dir, destination, name)
    return _complete_in(root) if root.is_dir() else []


def _complete_in(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    """fsync every file, then every directory bottom-up, so the data is on disk before the switch."""
    for current, _dirs, files in os.walk(directory, topdown=False):
        for file_name in files:
            _fsync_path(Path(current) / file_name)
        _fsync_path(Path(current))


def _points_to(link: Path, directory: Path) -> bool:
    try:
        return (link.parent / os.readlink(link)).resolve() == directory.resolve()
    except OSError:
        return False


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_NAME, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _clean_debris(root: Path, link_dir: Path, name: str) -> list[Path]:
    """Remove what a killed publisher left: partial versions and temporary symlinks. Call under the lock."""
    removed = []
    # Only this export's temporary links: other names in the same destination publish concurrently.
    own_tmp_link = re.compile(re.escape("." + name + TMP_LINK_MARKER) + r"[0-9]+")
    for path in root.iterdir():
        if path.name.startswith(PARTIAL_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if link_dir.is_dir():
        for path in link_dir.iterdir():
            if own_tmp_link.fullmatch(path.name) and path.is_symlink():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


@dataclass(frozen=True)
class Staging:
    """Where a writer puts the files of the version being published."""

    directory: Path
    version_id: str
    previous: Path | None


@dataclass(frozen=True)
class PublishResult(Generic[T]):
    """What :func:`publish` did: the new version, the one it replaced, and what it cleaned up."""

    version_id: str
    version_dir: Path
    public_path: Path
    previous: Path | None
    deleted_versions: list[Path]
    cleaned_debris: list[Path]
    value: T


def _retain(root: Path, current: Path, keep: int) -> list[Path]:
    versions = _complete_in(root)
    kept = set(versions[-keep:]) | {current}
    deleted = []
    for path in versions:
        if path not in kept:
            try:
                shutil.rmtree(path)
                deleted.append(path)
            except OSError as error:  # the switch already happened: a failed cleanup is not a failed export
                logger.warning("could not delete old export version %s: %s", path, error)
    return deleted


def publish(
    exports_dir: Path,
    destination: str,
    name: str,
    write: Callable[[Staging], T],
    *,
    run_id: str,
    keep: int = DEFAULT_KEEP,
    now: datetime | None = None,
) -> PublishResult[T]:
    """Write a new version with ``write(staging)`` and switch the public path to it atomically.

    ``write`` receives the staging directory to fill and the previous version directory (for
    deltas); whatever it returns is passed back as ``result.value``. If it raises, the staged
    files are deleted, the public path is untouched, and the exception propagates.
    Keeps the newest ``keep`` complete versions (at least 1) and deletes older ones.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1: the current version is never deleted")
    exports_dir = Path(exports_dir)
    link = public_path(exports_dir, destination, name)
    root = versions_root(exports_dir, destination, name)
    with _locked(root):
        cleaned = _clean_debris(root, link.parent, name)
        previous = previous_version(exports_dir, destination, name)
        version_id = make_version_id(run_id, now)
        suffix = 0
        while (root / version_id).exists() or (root / (PARTIAL_PREFIX + version_id)).exists():
            suffix += 1  # same microsecond and run id: keep ids unique and still sortable
            version_id = make_version_id(run_id, now) + f"-{suffix}"
        staging_dir = root / (PARTIAL_PREFIX + version_id)
        final_dir = root / version_id
        staging_dir.mkdir()
        switched = False
        try:
            value = write(Staging(directory=staging_dir, version_id=version_id, previous=previous))
            _fsync_tree(staging_dir)
            os.rename(staging_dir, final_dir)
            _fsync_path(root)
            link.parent.mkdir(parents=True, exist_ok=True)
            tmp_link = link.parent / f".{name}{TMP_LINK_MARKER}{os.getpid()}"
            tmp_link.unlink(missing_ok=True)
            os.symlink(os.path.relpath(final_dir, link.parent), tmp_link)
            try:
                os.replace(tmp_link, link)  # the atomic switch
            except BaseException:
                tmp_link.unlink(missing_ok=True)
                raise
            switched = True
            _fsync_path(link.parent)
        finally:
            # Re-check the link itself: an interrupt landing just after os.replace must not
            # delete the directory the public path now points to.
            if not switched and not _points_to(link, final_dir):
                shutil.rmtree(staging_dir, ignore_errors=True)
                shutil.rmtree(final_dir, ignore_errors=True)
        deleted = _retain(root, final_dir, keep)
    return PublishResult(
        version_id=version_id,
        version_dir=final_dir,
        public_path=link,
        previous=previous,
        deleted_versions=deleted,
        cleaned_debris=cleaned,
        value=value,
    )
