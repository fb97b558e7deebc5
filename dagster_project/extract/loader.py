"""Load landing files into the raw layer: each file once, bad rows quarantined, never lost.

A file is the unit of loading. Its rows, its rejects and its load-log entry are written in
one transaction, so a crash leaves either the whole file loaded or none of it. Two files of a
source load at once, on two connections (``_ParallelLoads``); what they land is what loading
them one at a time lands. Files are
recognised by name and SHA-256: an unchanged file is skipped, a file whose content changed
under a known name is reported and not loaded (a silent second load would double its rows),
and content already loaded under another name is skipped as a duplicate. A file loaded before
with the same size and mtime is not read again (see ``SourceLoader._loaded_with_same_stat``).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

from dagster_project.contracts import SQL_PATTERNS, SQL_TYPES, CsvSource, Field, JsonLinesSource
from dagster_project.settings import DEFAULT_EXTRACT_WORKERS
from dagster_project.warehouse import another_connection

Source = CsvSource | JsonLinesSource

#: Longest value quoted back in a reject reason; the whole record is kept in ``raw_record``.
_MAX_QUOTED_VALUE = 80

#: Longest CSV record DuckDB reads; a longer one is quarantined (``LINE SIZE OVER MAXIMUM``).
_MAX_CSV_LINE_BYTES = 16 * 1024 * 1024


class MissingColumnsError(ValueError):
    """A CSV file lacks columns its contract requires."""


class UnaccountedRowsError(ValueError):
    """A CSV file's records could not be matched to its lines; nothing of it is loaded."""


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one landing file in one run."""

    file_name: str
    status: str  # loaded | unchanged | changed | duplicate | failed
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str | None = None


@dataclass
class SourceLoadReport:
    """Everything one extract run did for one source, for metadata and the run summary."""

    source: str
    files: list[FileOutcome] = field(default_factory=list)
    extra_columns: dict[str, list[str]] = field(default_factory=dict)

    def _with_status(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    @property
    def loaded(self) -> list[FileOutcome]:
        return self._with_status("loaded")

    @property
    def failed(self) -> list[FileOutcome]:
        return self._with_status("failed")

    @property
    def changed(self) -> list[FileOutcome]:
        return self._with_status("changed")

    @property
    def duplicates(self) -> list[FileOutcome]:
        return self._with_status("duplicate")

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def file_fingerprint(path: Path) -> tuple[str, bool]:
    """SHA-256 of the file and whether it is valid UTF-8, in one pass over its bytes."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    is_utf8 = True
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            if is_utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
    if is_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            is_utf8 = False
    return digest.hexdigest(), is_utf8


class _Fingerprints:
    """File fingerprints computed one file ahead, in a thread, while DuckDB loads the file before.

    Hashing is single-threaded Python (about 0.3 s for a day of web events at 1,000,000 people)
    and DuckDB leaves part of the second core idle while it loads a file (1.5 cores on average),
    so the next file's hash fits beside the current load instead of after it. ``hashlib`` and
    DuckDB both release the GIL while they work."""

    LOOKAHEAD = 1

    def __init__(self, paths: list[Path]):
        self._paths = paths
        self._index = {path: index for index, path in enumerate(paths)}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cdp-fingerprint")
        self._futures: dict[Path, Future[tuple[str, bool]]] = {}
        self._submitted = 0

    def __contains__(self, path: Path) -> bool:
        return path in self._index

    def take(self, path: Path) -> tuple[str, bool]:
        """The fingerprint of ``path`` (the next file in order); starts hashing the one after it."""
        while self._submitted < min(len(self._paths), self._index[path] + 1 + self.LOOKAHEAD):
            following = self._paths[self._submitted]
            self._futures[following] = self._pool.submit(file_fingerprint, following)
            self._submitted += 1
        return self._futures.pop(path).result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _quoted_value(expression: str) -> str:
    """SQL for a value quoted back in a reason, cut to a readable length."""
    return f"left({expression}, {_MAX_QUOTED_VALUE})"


@dataclass(frozen=True)
class _CheckedField:
    """A contract field as the row checks read it: its trimmed value and its value cast to the
    field's type, each computed once per row in a projection below the checks (``columns``).

    Written inline, every check repeated ``nullif(trim(...))`` and the cast: a timestamp's was
    parsed three times (valid, too early, in the future), and checking a day of web events took
    three times as long."""

    field: Field
    value: str  # column: the trimmed value, null when empty
    typed: str | None  # column: the value cast to the field's type (None for strings)
    expression: str  # the raw value as landed

    @classmethod
    def of(cls, field_def: Field, expression: str, index: int) -> _CheckedField:
        typed = None if field_def.type == "string" else f"_cdp_typed_{index}"
        return cls(field_def, f"_cdp_value_{index}", typed, expression)

    @property
    def columns(self) -> list[str]:
        trimmed = f"nullif(trim({self.expression}), '')"
        columns = [f"{trimmed} as {self.value}"]
        if self.typed:
            columns.append(f"try_cast({trimmed} as {SQL_TYPES[self.field.type]}) as {self.typed}")
        return columns


def _checked_columns(checked: list[_CheckedField]) -> str:
    """The select list that computes every checked field's values once, for the checks above it."""
    return ", ".join(column for field in checked for column in field.columns)


def _field_problem(checked: _CheckedField) -> str | None:
    """SQL yielding ``{field, reason}`` when the value breaks its contract, else null."""
    field_def, value = checked.field, checked.value
    checks = []
    if field_def.required_value:
        checks.append((f"{value} is null", _sql_string(f"required value {field_def.name} is empty")))
    if checked.typed:
        reason = _sql_string(f"{field_def.name} is not a valid {field_def.type}: ")
        invalid = f"{checked.typed} is null"
        if field_def.type in SQL_PATTERNS:
            invalid += f" or not regexp_full_match({value}, {_sql_string(SQL_PATTERNS[field_def.type])})"
        checks.append((f"{value} is not null and ({invalid})", f"{reason} || {_quoted_value(value)}"))
        bounds = field_def.plausible
        if bounds is not None:
            cast = checked.typed
            latest = f"now() + interval {int(bounds.latest_after_load.total_seconds())} second"
            earliest = f"timestamptz '{bounds.earliest.isoformat()} 00:00:00+00'"
            if field_def.type == "date":
                latest, earliest = f"cast({latest} as date)", f"date '{bounds.earliest.isoformat()}'"
            after = "the load date" if field_def.type == "date" and not bounds.latest_after_load else (
                "the load time + " + _duration(bounds.latest_after_load)
            )
            checks.append((
                f"{cast} < {earliest}",
                f"{_sql_string(f'{field_def.name} is implausibly early (before {bounds.earliest.isoformat()}): ')} || {_quoted_value(value)}",
            ))
            checks.append((
                f"{cast} > {latest}",
                f"{_sql_string(f'{field_def.name} is in the future (after {after}): ')} || {_quoted_value(value)}",
            ))
    if not checks:
        return None
    whens = " ".join(f"when {condition} then {{'field': {_sql_string(field_def.name)}, 'reason': {reason}}}" for condition, reason in checks)
    return f"case {whens} end"


def _duration(delta) -> str:
    hours = int(delta.total_seconds()) // 3600
    return f"{hours // 24} day" + ("s" if hours // 24 != 1 else "") if hours % 24 == 0 else f"{hours} hours"


def _nul_problem(field_def: Field, expression: str) -> str:
    """SQL yielding ``{field, reason}`` when a value holds a NUL byte (binary garbage, not text)."""
    return (
        f"case when contains({expression}, chr(0)) then {{'field': {_sql_string(field_def.name)}, "
        f"'reason': {_sql_string(f'{field_def.name} contains a NUL byte')}}} end"
    )


def _read_csv_header(path: Path) -> list[str] | None:
    """The header's column names (one line, read here; the rows are read by DuckDB), or None if empty."""
    with path.open("rb") as handle:
        first = handle.readline()
    if not first:
        return None
    text = first.decode("utf-8", "replace").removeprefix("\ufeff").rstrip("\r\n")
    return next(csv.reader([text]), [])


def _problems_list(problems: list[str]) -> str:
    items = ", ".join(problems) if problems else ""
    return f"list_filter([{items}]::struct(field varchar, reason varchar)[], lambda p: p is not null)"


class SourceLoader:
    """Loads every new file of one source from a landing directory into its raw table.

    What to do with each file is decided here, in name order, on ``conn``; the new files are
    loaded on up to ``workers`` connections at once (``_ParallelLoads``), each in its own
    transaction.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path, *,
                 verify_checksums: bool = False, workers: int = DEFAULT_EXTRACT_WORKERS):
        if workers < 1:
            raise ValueError(f"extract workers must be at least 1, not {workers}")
        self.conn = conn
        self.source = source
        self.folder = landing_dir / source.folder
        self.verify_checksums = verify_checksums
        self.workers = workers

    def run(self) -> SourceLoadReport:
        report = SourceLoadReport(source=self.source.name)
        files = sorted(self.folder.glob(self.source.pattern)) if self.folder.is_dir() else []
        to_read = [path for path in files if self.verify_checksums or not self._loaded_with_same_stat(path)]
        fingerprints = _Fingerprints(to_read)
        loads = _ParallelLoads(self.conn, self.source, self.workers)
        outcomes: list[FileOutcome | Future[_Loaded]] = []
        try:
            for path in files:
                if path not in fingerprints:
                    outcomes.append(FileOutcome(path.name, "unchanged"))
                    continue
                if loads.any_raised():
                    break  # where a run loading one file at a time would have stopped
                checksum, is_utf8 = fingerprints.take(path)
                # a copy of a file still loading is a duplicate only once that load has committed
                loads.wait_for(checksum)
                outcomes.append(self._known_file_outcome(path, checksum) or loads.submit(path, checksum, is_utf8))
        finally:
            fingerprints.close()
            loads.close()
        for outcome in outcomes:  # in file order; the first load that raised raises here
            if isinstance(outcome, Future):
                loaded = outcome.result()
                outcome = loaded.outcome
                if loaded.extra_columns:
                    report.extra_columns[outcome.file_name] = loaded.extra_columns
            report.files.append(outcome)
        return report

    # -- file-level decisions -------------------------------------------------------------

    def _known_file_outcome(self, path: Path, checksum: str) -> FileOutcome | None:
        """The outcome of a file already known by name or content; None for a new file to load."""
        known = self.conn.execute(
            """select file_name, checksum, status, load_id from raw.load_log
               where source = ? and status in ('loaded', 'changed', 'duplicate')
                 and (file_name = ? or checksum = ?)""",
            [self.source.name, path.name, checksum],
        ).fetchall()
        loaded_same_name = {c: load_id for name, c, status, load_id in known if name == path.name and status == "loaded"}
        known = {(name, c, status) for name, c, status, _ in known}
        if loaded_same_name:
            if checksum in loaded_same_name:
                # Same bytes, touched since (or logged before the quick check): remember the new
                # mtime, so the next run skips the file without reading it.
                self.conn.execute(
                    "update raw.load_log set modified_ns = ? where load_id = ?",
                    [path.stat().st_mtime_ns, loaded_same_name[checksum]],
                )
                return FileOutcome(path.name, "unchanged")
            message = (
                f"{path}: content changed since it was loaded (checksum {checksum[:12]}); not loaded again. "
                "Give a new export a new file name."
            )
            if (path.name, checksum, "changed") not in known:
                _log(self.conn, self.source, path, checksum, "changed", 0, 0, message, _now(), str(uuid.uuid4()))
            return FileOutcome(path.name, "changed", message=message)
        same_content = [name for name, c, status in known if c == checksum and status == "loaded"]
        if same_content:
            message = f"{path}: same content as {same_content[0]}, already loaded; skipped"
            if (path.name, checksum, "duplicate") not in known:
                _log(self.conn, self.source, path, checksum, "duplicate", 0, 0, message, _now(), str(uuid.uuid4()))
            return FileOutcome(path.name, "duplicate", message=message)
        return None

    def _loaded_with_same_stat(self, path: Path) -> bool:
        """The quick check (rsync's): a file loaded under this name with the same size and mtime
        is taken as unchanged without reading it. Hashing every landed file on every run read the
        whole history (8 GB for a year of web events) to load one new day. Rewriting a file
        changes its mtime, so a changed file is still hashed and reported;
        ``CDP_EXTRACT_VERIFY_CHECKSUMS=true`` hashes every file on every run."""
        stat = path.stat()
        return bool(self.conn.execute(
            """select count(*) from raw.load_log
               where source = ? and file_name = ? and status = 'loaded' and size_bytes = ? and modified_ns = ?""",
            [self.source.name, path.name, stat.st_size, stat.st_mtime_ns],
        ).fetchone()[0])


@dataclass(frozen=True)
class _Loaded:
    """What loading one new file gave: its outcome and the CSV columns its contract does not know."""

    outcome: FileOutcome
    extra_columns: list[str]


class _ParallelLoads:
    """New files of one source, loaded on up to ``workers`` connections to the database at once.

    One load keeps only part of the machine busy: reading and splitting the file and committing
    are single-threaded, so a day of till sales kept 1.2 of 2 cores busy and a day of web events
    1.7. Two loads side by side fill the gaps. Each worker thread has its own connection (its own
    temp tables and transaction); each file is still one transaction. The load time of each file
    (``_loaded_at``, the deduplication's tie-break: the copy landed first wins) is taken here, in
    file order, so it does not depend on which load commits first.
    """

    def __init__(self, conn: duckdb.DuckDBPyConnection, source: Source, workers: int):
        self._conn = conn
        self._source = source
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cdp-load")
        self._thread = threading.local()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._connections_lock = threading.Lock()
        self._checksums: dict[Future[_Loaded], str] = {}  # every load handed out -> its file's checksum
        self._last_load_time: datetime | None = None

    def submit(self, path: Path, checksum: str, is_utf8: bool) -> Future[_Loaded]:
        loaded_at = _now()
        if self._last_load_time is not None and loaded_at <= self._last_load_time:
            loaded_at = self._last_load_time + timedelta(microseconds=1)
        self._last_load_time = loaded_at
        future = self._pool.submit(self._load, path, checksum, is_utf8, loaded_at)
        self._checksums[future] = checksum
        return future

    def wait_for(self, checksum: str) -> None:
        """Until every load of a file with this content has finished."""
        wait([load for load, other in self._checksums.items() if other == checksum])

    def any_raised(self) -> bool:
        return any(load.done() and load.exception() is not None for load in self._checksums)

    def close(self) -> None:
        """Wait for the loads still running, then close the workers' connections."""
        self._pool.shutdown(wait=True)
        for conn in self._connections:
            conn.close()

    def _load(self, path: Path, checksum: str, is_utf8: bool, loaded_at: datetime) -> _Loaded:
        return _FileLoader(self._worker_connection(), self._source).load(path, checksum, is_utf8, loaded_at)

    def _worker_connection(self) -> duckdb.DuckDBPyConnection:
        conn = getattr(self._thread, "conn", None)
        if conn is None:
            conn = self._thread.conn = another_connection(self._conn)
            with self._connections_lock:
                self._connections.append(conn)
        return conn


def _log(conn: duckdb.DuckDBPyConnection, source: Source, path: Path, checksum: str, status: str, loaded: int,
         rejected: int, message: str | None, started_at: datetime, load_id: str) -> None:
    stat = path.stat()
    conn.execute(
        """insert into raw.load_log (load_id, source, file_name, file_path, checksum, size_bytes, status,
                                     rows_loaded, rows_rejected, message, started_at, finished_at, modified_ns)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [load_id, source.name, path.name, str(path), checksum, stat.st_size, status,
         loaded, rejected, message, started_at, _now(), stat.st_mtime_ns],
    )


class _FileLoader:
    """Loads one new file on one connection: its rows, rejects and load-log entry in one transaction."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, source: Source):
        self.conn = conn
        self.source = source

    def load(self, path: Path, checksum: str, is_utf8: bool, loaded_at: datetime) -> _Loaded:
        load_id = str(uuid.uuid4())
        started_at = _now()
        extra: list[str] = []
        self.conn.execute("begin transaction")
        try:
            if isinstance(self.source, CsvSource):
                extra = self._stage_csv(path, is_utf8)
            else:
                self._stage_json_lines(path, is_utf8)
            loaded, rejected = self._write_staged(path, load_id, loaded_at)
            _log(self.conn, self.source, path, checksum, "loaded", loaded, rejected, None, started_at, load_id)
            self.conn.execute("commit")
        except (MissingColumnsError, UnaccountedRowsError) as error:
            self.conn.execute("rollback")
            _log(self.conn, self.source, path, checksum, "failed", 0, 0, str(error), started_at, load_id)
            return _Loaded(FileOutcome(path.name, "failed", message=str(error)), [])
        except BaseException:
            self.conn.execute("rollback")
            raise
        return _Loaded(FileOutcome(path.name, "loaded", loaded, rejected), extra)

    # -- staging a file into temp tables _accepted(record..., _line) and _rejected ----------

    def _stage_csv(self, path: Path, is_utf8: bool) -> list[str]:
        """Parse a CSV into ``_parsed`` and its rejects; returns columns the contract does not know.

        The dialect is fixed (comma, double quotes, no comment character) rather than sniffed:
        a sniffer can give up on one broken quote and fail the whole file, or take ``#`` for a
        comment and silently skip rows. The header is read here, the rows by DuckDB.
        """
        source = self.source
        assert isinstance(source, CsvSource)
        self._reset_temp_tables()
        header = _read_csv_header(path)
        if header is None:  # nothing to read, not even a header: an empty export
            header = source.column_names
        by_name: dict[str, str] = {}
        for h in header:
            by_name.setdefault(h.strip().lower(), h)
        missing = [c for c in source.required_columns if c not in by_name]
        if missing:
            raise MissingColumnsError(f"{path}: missing required column(s) {', '.join(missing)}")
        # DuckDB names columns as given; a repeated header name gets a suffix (first one wins).
        names: list[str] = []
        for h in header:
            name, n = h, 1
            while name in names:
                n += 1
                name = f"{h}_{n}"
            names.append(name)
        by_name = {}
        for h, name in zip(header, names):
            by_name.setdefault(h.strip().lower(), name)
        if path.stat().st_size == 0:
            self.conn.execute(
                "create temp table _landed as select 0::bigint as _rid, "
                + ", ".join(f"null::varchar as {_identifier(c)}" for c in names) + " where false"
            )
            self.conn.execute(
                "create temp table _csv_errors (line bigint, line_byte_position bigint, column_name varchar, "
                "error_type varchar, error_message varchar, csv_line varchar)"
            )
        else:
            columns = "{" + ", ".join(f"{_sql_string(n)}: 'varchar'" for n in names) + "}"
            reader = (
                f"read_csv({_sql_string(str(path))}, auto_detect = false, header = true, columns = {columns}, "
                f"delim = ',', quote = '\"', escape = '\"', max_line_size = {_MAX_CSV_LINE_BYTES}, "
                "store_rejects = true, rejects_table = '_csv_errors', rejects_scan = '_csv_scans')"
            )
            self.conn.execute(f"create temp table _landed as select row_number() over () - 1 as _rid, * from {reader}")
        self._number_csv_records(path, is_utf8, [_identifier(n) for n in names])
        columns_sql = [
            f"l.{_identifier(by_name[f.name])}" if f.name in by_name else "null::varchar" for f in source.fields
        ]
        checked = [_CheckedField.of(f, col, i) for i, (f, col) in enumerate(zip(source.fields, columns_sql))]
        problems = [_field_problem(c) for c in checked]
        problems += [_nul_problem(f, col) for f, col in zip(source.fields, columns_sql) if f.name in by_name]
        record = "to_json(struct_pack(" + ", ".join(f"{f.name} := {c}" for f, c in zip(source.fields, columns_sql)) + "))::varchar"
        select_columns = ", ".join(f"{c} as {f.name}" for f, c in zip(source.fields, columns_sql))
        self.conn.execute(
            f"""create temp table _parsed as
                select {select_columns}, n.line as _line,
                       {_problems_list([p for p in problems if p])} as _problems,
                       {record} as _record
                from (select *, {_checked_columns(checked)} from _landed l) as l
                join _record_lines n on n.rid = l._rid"""
        )
        known = set(source.column_names)
        return [h for h in header if h.strip().lower() not in known]

    def _number_csv_records(self, path: Path, is_utf8: bool, columns: list[str]) -> None:
        """Give every record its line in the file (header = 1) and every reject its line range.

        DuckDB returns accepted rows in file order, without line numbers, and numbers rejects by
        record rather than by line. Line numbers are rebuilt here, set-based: the file's physical
        lines and their byte offsets place each reject exactly (DuckDB gives its byte offset),
        blank lines are skipped as DuckDB skips them, and a record whose quoted values span
        several lines takes that many lines. The k-th accepted row then starts on the next
        non-blank line no reject and no earlier record took. If the lines do not add up, the
        file fails rather than load rows under wrong line numbers.
        """
        self._stage_physical_lines(path, is_utf8)
        self.conn.execute(
            ("""create temp table _structural as
               with errors as (
                   select line as duck_line, min(line_byte_position) as byte_position,
                          -- a wrong column count is about the record, not a field (DuckDB names every missing one)
                          string_agg(distinct case when error_type not in ('MISSING COLUMNS', 'TOO MANY COLUMNS') then column_name end, ', ') as field,
                          string_agg(distinct case when error_type = 'MISSING COLUMNS'
                                                   then 'MISSING COLUMNS: fewer values than the header''s ' || $header_columns || ' columns'
                                                   else error_type || ': ' || error_message end, '; ') as reason,
                          max(csv_line) as record
                   from _csv_errors group by line
               ),
               placed as (
                   select e.*, (select max(p.line) from _physical p where p.start_byte <= e.byte_position) as line,
                          length(rtrim(e.record, chr(13) || chr(10))) - length(replace(rtrim(e.record, chr(13) || chr(10)), chr(10), '')) as extra_lines
                   from errors e
               )
               select line, line + extra_lines as last_line, field,
                      reason || case when extra_lines > 0 then ' (lines ' || line || '-' || (line + extra_lines)
                                     || ' read as one record'
                                     || case when reason like '%unterminated quote%' then ': the quote opened on line ' || line || ' is never closed' else '' end
                                     || ')' else '' end as reason,
                      record
               from placed""").replace("$header_columns", str(len(columns)))
        )
        # lines a record (accepted row) takes that are not blank: 1 + the non-blank lines its values continue onto
        joined = "concat_ws(',', " + ", ".join(f"l.{c}" for c in columns) + ")" if columns else "''"
        self.conn.execute(
            f"""create temp table _record_lines as
                with spans as (
                    select l._rid as rid,
                           1 + len(list_filter(string_split({joined}, chr(10))[2:], lambda s: rtrim(s, chr(13)) <> '')) as span
                    from _landed l
                ),
                starts as (
                    select rid, span, 1 + coalesce(sum(span) over (order by rid rows between unbounded preceding and 1 preceding), 0) as free_index
                    from spans
                ),
                free as (
                    select line, row_number() over (order by line) as free_index
                    from _physical p
                    where p.line > 1 and not p.blank
                      and not exists (select 1 from _structural s where p.line between s.line and s.last_line)
                )
                select s.rid, f.line, s.span from starts s left join free f using (free_index)"""
        )
        free_lines, spans, unplaced = self.conn.execute(
            """select (select count(*) from _physical p where p.line > 1 and not p.blank
                         and not exists (select 1 from _structural s where p.line between s.line and s.last_line)),
                      (select coalesce(sum(span), 0) from _record_lines),
                      (select count(*) from _record_lines where line is null)"""
        ).fetchone()
        if free_lines != spans or unplaced:
            raise UnaccountedRowsError(
                f"{path}: {spans} line(s) of accepted records but {free_lines} line(s) not taken by rejects; "
                "the file could not be read line by line and was not loaded"
            )

    def _stage_physical_lines(self, path: Path, is_utf8: bool) -> None:
        """``_physical(line, start_byte, blank)``: every line of the file and the byte it starts at."""
        if path.stat().st_size == 0:
            self.conn.execute("create temp table _physical (line bigint, start_byte bigint, blank boolean)")
        elif is_utf8:
            self.conn.execute(
                f"""create temp table _physical as
                    with lines as (
                        select generate_subscripts(parts, 1) as line, unnest(parts) as text
                        from (select string_split(content, chr(10)) as parts from read_text({_sql_string(str(path))}))
                    )
                    select line,
                           coalesce(sum(strlen(text) + 1) over (order by line rows between unbounded preceding and 1 preceding), 0) as start_byte,
                           rtrim(text, chr(13)) = '' as blank
                    from lines"""
            )
        else:  # not UTF-8: DuckDB cannot split it as text; a file-sized pass over its bytes here
            rows, offset = [], 0
            for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
                rows.append((number, offset, raw.rstrip(b"\r") == b""))
                offset += len(raw) + 1
            self.conn.execute("create temp table _physical (line bigint, start_byte bigint, blank boolean)")
            self.conn.executemany("insert into _physical values (?, ?, ?)", rows)

    def _stage_json_lines(self, path: Path, is_utf8: bool) -> None:
        """Split an NDJSON file into numbered lines and check each against the contract."""
        source = self.source
        assert isinstance(source, JsonLinesSource)
        self._reset_temp_tables()
        self.conn.execute("create temp table _structural (line bigint, field varchar, reason varchar, record varchar)")
        if is_utf8:
            text_lines = f"""(select generate_subscripts(parts, 1) as _line, unnest(parts) as line
                              from (select string_split(content, chr(10)) as parts from read_text({_sql_string(str(path))})))"""
        else:
            self._stage_lines_with_bad_bytes(path)
            text_lines = "_text_lines"
        # Each line is parsed twice: json_valid checks it is JSON, then one multi-path extraction
        # pulls every checked key out. Its kind needs no third parse on nearly every line: only an
        # object has a "type", so json_type runs only on the lines without one. (Casting to JSON,
        # asking its type and extracting parsed every line three times: checking a day of web
        # events at 1,000,000 people took 1.58 CPU seconds, now 1.46.) Each line is held once (as
        # text): keeping the parsed document beside it doubled the bytes a large file moves
        # through memory. The lines and their fields are subqueries of the checks below, not
        # tables: materialising them copied every line twice more (six days of web events at
        # 1,000,000 people, two files at a time: 12.2 s and 23.5 CPU seconds against 9.6 s and 18.1).
        keys = [f.name for f in source.fields] + [k for k in source.identity_keys if k not in {f.name for f in source.fields}]
        paths = ", ".join(_sql_string(f"$.{key}") for key in keys)
        json_lines = f"""
                select _line, line, json_kind, case when json_kind = 'OBJECT' then extracted end as fields
                from (
                    select _line, line, extracted,
                           case
                               when extracted is null then null  -- not JSON
                               when extracted[{keys.index("type") + 1}] is not null then 'OBJECT'
                               else json_type(line)
                           end as json_kind
                    from (
                        select _line, line,
                               case when json_valid(line) then json_extract_string(line, [{paths}]) end as extracted
                        from (
                            -- a byte order mark may open the file; CRLF line ends are fine. Each
                            -- string function runs only on the lines that need it (the guards are
                            -- cheap, a trim copies the line): at 10M lines of 700 bytes, 4x faster.
                            select _line, case when ends_with(line, chr(13)) then rtrim(line, chr(13)) else line end as line
                            from (
                                select _line, case when _line = 1 then ltrim(line, chr(65279)) else line end as line
                                from {text_lines}
                            )
                        )
                        where left(line, 1) = '{{' or trim(line) <> ''
                    )
                ) as lines"""
        fields_by_key = {f.name: f for f in source.fields}
        checked = {
            key: _CheckedField.of(fields_by_key.get(key, Field(key)), f"fields[{index + 1}]", index)
            for index, key in enumerate(keys)
        }
        type_list = ", ".join(_sql_string(t) for t in source.event_types)
        identity = " or ".join(f"{checked[k].value} is not null" for k in source.identity_keys)
        problems = [
            "case when json_kind is null then {'field': null, 'reason': 'not valid JSON'} "
            "when json_kind <> 'OBJECT' then {'field': null, 'reason': 'not a JSON object'} end",
            f"case when {checked['type'].value} not in ({type_list}) "
            f"then {{'field': 'type', 'reason': 'unknown event type: ' || {_quoted_value(checked['type'].expression)}}} end",
            f"case when fields is not null and not ({identity}) "
            "then {'field': 'anonymousId', 'reason': 'neither anonymousId nor userId is set'} end",
        ]
        problems += [
            f"case when fields is not null then ({problem}) end"
            for f in source.fields
            if (problem := _field_problem(checked[f.name]))
        ]
        self.conn.execute(
            f"""create temp table _parsed as
                select _line, problems as _problems,
                       -- the line goes on as the payload if it is accepted, as the record if not
                       case when len(problems) = 0 then line end as payload,
                       case when len(problems) > 0 then line end as _record
                from (
                    select _line, line, {_problems_list(problems)} as problems
                    from (select *, {_checked_columns(list(checked.values()))} from ({json_lines}))
                )"""
        )

    def _stage_lines_with_bad_bytes(self, path: Path) -> None:
        """Fallback for a file that is not valid UTF-8: quarantine the bad lines, keep the rest."""
        good: list[tuple[int, str]] = []
        for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
            try:
                good.append((number, raw.decode("utf-8")))
            except UnicodeDecodeError as error:
                self.conn.execute(
                    "insert into _structural values (?, null, ?, ?)",
                    [number, f"not valid UTF-8 ({error.reason} at byte {error.start})", raw.decode("utf-8", "replace")],
                )
        self.conn.execute("create temp table _text_lines (_line bigint, line varchar)")
        self.conn.executemany("insert into _text_lines values (?, ?)", good)

    def _write_staged(self, path: Path, load_id: str, loaded_at: datetime) -> tuple[int, int]:
        """Move staged rows to the raw table and rejects to ``raw.rejects``; return the counts."""
        source = self.source
        data_columns = source.column_names if isinstance(source, CsvSource) else ["payload"]
        column_list = ", ".join(data_columns)
        file_name = _sql_string(path.name)
        self.conn.execute(
            f"""insert into {source.raw_table} ({column_list}, _source_file, _source_line, _load_id, _loaded_at)
                select {column_list}, {file_name}, _line, ?, ? from _parsed where len(_problems) = 0
                order by _line""",
            [load_id, loaded_at],
        )
        self.conn.execute(
            f"""insert into raw.rejects
                select ?, ?, {file_name}, line, field, reason, record, now() from (
                    select _line as line,
                           nullif(array_to_string(list_transform(_problems, lambda p: p.field), ', '), '') as field,
                           array_to_string(list_transform(_problems, lambda p: p.reason), '; ') as reason,
                           _record as record
                    from _parsed where len(_problems) > 0
                    union all
                    select line, field, reason, record from _structural
                ) order by line""",
            [load_id, source.name],
        )
        loaded = self.conn.execute("select count(*) from _parsed where len(_problems) = 0").fetchone()[0]
        rejected = self.conn.execute(
            "select (select count(*) from _parsed where len(_problems) > 0) + (select count(distinct line) from _structural)"
        ).fetchone()[0]
        return loaded, rejected

    def _reset_temp_tables(self) -> None:
        for table in ("_landed", "_lines", "_record_lines", "_physical", "_parsed", "_structural", "_text_lines",
                      "_csv_errors", "_csv_scans"):
            self.conn.execute(f"drop table if exists temp.{table}")


def load_source(conn: duckdb.DuckDBPyConnection, source: Source, landing_dir: Path, *,
                verify_checksums: bool = False, workers: int = DEFAULT_EXTRACT_WORKERS) -> SourceLoadReport:
    """Load every new file of ``source`` found under ``landing_dir``; ``verify_checksums`` hashes
    even the files the quick check (same name, size and mtime as when loaded) would skip;
    ``workers`` files are loaded at once."""
    return SourceLoader(conn, source, landing_dir, verify_checksums=verify_checksums, workers=workers).run()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _now() -> datetime:
    return datetime.now(timezone.utc)
