"""Segment memberships over time: who is in each segment, since when, and who entered or left.

The history lives in the identity registry file (``segment_membership_changes``), which rebuilds
of the warehouse never touch, so ``since`` survives a full rebuild just as customer ids do. Each
run compares the segments' current members with the members the history says were in at the
end of the previous recorded run, appends the differences, and publishes two tables to the
warehouse's ``activation`` schema for analysts. It runs only after the quality gate passed, so a
rejected run leaves no trace in the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_project.activation.segments import Segment
from dagster_project.warehouse import table_exists

HISTORY = "registry.main.segment_membership_changes"


@dataclass(frozen=True)
class MembershipCounts:
    """Members now, and how many entered and exited in this run, for one segment."""

    members: int
    entered: int
    exited: int


def _current_members_sql(segments: Sequence[Segment]) -> str:
    return "\nunion all\n".join(
        f"select '{segment.name}' as segment, cast(customer_id as varchar) as customer_id from {segment.relation}"
        for segment in segments
    )


def _purge_erased_customers(conn: duckdb.DuckDBPyConnection) -> None:
    """Forget the membership history of customers erased on request (the suppression list holds
    ``customer_id:<id>`` hashes, docs/privacy.md); their current memberships are already gone."""
    if table_exists(conn, "registry", "suppressed_identifiers"):
        conn.execute(
            f"""delete from {HISTORY}
                where sha256('customer_id:' || customer_id) in (select identifier_hash from registry.main.suppressed_identifiers)"""
        ).fetchall()


def record_memberships(
    conn: duckdb.DuckDBPyConnection, segments: Sequence[Segment], run_id: str, recorded_at: datetime
) -> dict[str, MembershipCounts]:
    """Append this run's entries and exits to the history and publish the membership tables.

    ``conn`` is a writable warehouse connection with the registry attached as ``registry``.
    Segments that disappeared from the project keep their history; their members are not exited
    (a removed definition says nothing about the customers).
    """
    names = [segment.name for segment in segments]
    conn.execute(
        f"""create table if not exists {HISTORY} (
            run_id varchar not null, segment varchar not null, customer_id varchar not null,
            change varchar not null, changed_at timestamptz not null)"""
    )
    _purge_erased_customers(conn)
    conn.execute(f"create or replace temp table current_members as {_current_members_sql(segments)}")
    conn.execute(
        f"""create or replace temp table previous_members as
            select segment, customer_id
            from {HISTORY}
            where segment in (select unnest(?::varchar[]))
            qualify row_number() over (partition by segment, customer_id order by changed_at desc) = 1
                and change = 'entered'""",
        [names],
    )
    conn.execute(
        f"""insert into {HISTORY}
            select ?, segment, customer_id, 'entered', ?
            from (select segment, customer_id from current_members
                  except select segment, customer_id from previous_members)
            union all
            select ?, segment, customer_id, 'exited', ?
            from (select segment, customer_id from previous_members
                  except select segment, customer_id from current_members)""",
        [run_id, recorded_at, run_id, recorded_at],
    )
    conn.execute("create schema if not exists activation")
    conn.execute(
        f"""create or replace table activation.segment_memberships as
            select current_members.segment, current_members.customer_id, max(history.changed_at) as since
            from current_members
            inner join {HISTORY} as history
                on history.segment = current_members.segment
               and history.customer_id = current_members.customer_id
               and history.change = 'entered'
            group by all"""
    )
    conn.execute(f"create or replace table activation.segment_membership_changes as select * from {HISTORY}")
    rows = conn.execute(
        f"""select segment,
                   (select count(*) from current_members where current_members.segment = s.segment),
                   count(case when change = 'entered' and run_id = ? then 1 end),
                   count(case when change = 'exited' and run_id = ? then 1 end)
            from (select unnest(?::varchar[]) as segment) as s
            left join {HISTORY} using (segment)
            group by segment""",
        [run_id, run_id, names],
    ).fetchall()
    return {segment: MembershipCounts(members, entered, exited) for segment, members, entered, exited in rows}
