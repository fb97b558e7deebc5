"""Landing files are fingerprinted one ahead, in a thread: same answers as hashing in turn."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dagster_project.extract.loader import _Fingerprints, file_fingerprint


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    contents = [b"id,email\n1,a@example.com\n", b"\xff\xfe not utf-8\n", b"", "é\n".encode() * 100_000]
    paths = []
    for index, content in enumerate(contents):
        path = tmp_path / f"file_{index}.csv"
        path.write_bytes(content)
        paths.append(path)
    return paths


def test_each_file_gets_its_own_fingerprint_and_the_next_one_is_started(files: list[Path]) -> None:
    fingerprints = _Fingerprints(files)
    try:
        for index, path in enumerate(files):
            assert path in fingerprints
            checksum, is_utf8 = fingerprints.take(path)
            assert (checksum, is_utf8) == file_fingerprint(path)
            assert checksum == hashlib.sha256(path.read_bytes()).hexdigest()
            assert is_utf8 == (index != 1)
            assert fingerprints._submitted == min(len(files), index + 2)  # one ahead, not all
    finally:
        fingerprints.close()
    assert Path("elsewhere.csv") not in fingerprints


def test_a_file_that_cannot_be_read_fails_where_it_is_taken(files: list[Path]) -> None:
    files[1].unlink()
    fingerprints = _Fingerprints(files)
    try:
        fingerprints.take(files[0])
        with pytest.raises(FileNotFoundError):
            fingerprints.take(files[1])
    finally:
        fingerprints.close()
