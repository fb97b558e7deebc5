-- The web events deduplication has to decide about: each messageId that landed more than once
-- (which copy is kept: the first received) and each event of a person who asked to be forgotten
-- (left out: every event of their cookies and user ids, not only those carrying the e-mail).
-- int_web__events_deduplicated is a view that applies these to the staged events. At 1,000,000
-- people 92 thousand of the 9.8 million messageIds landed twice; writing every event a second
-- time, as a deduplicated table, took half of the deduplication's 14 s.
--
-- Incremental: a run looks again at the messageIds that received a copy loaded after the newest
-- load this table had seen (its rows record it in _loaded_at), from all their staged copies, and
-- at every erased event while the suppression list is not empty (the release then deletes the
-- erased events' landed rows, and dagster_project/publishing/erasure.py these rows with them).

{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='delete+insert',
) }}

with

landed_events as {{ cdp_not_materialized() }} (

    select * from {{ ref('stg_web__events') }}

),

-- the copies of the messageIds this run looks at
{%- set order_of_receipt = ['received_at', '_loaded_at', '_source_file', '_source_line'] %}

examined_copies as {{ cdp_not_materialized() }} (

    select message_id, {{ order_of_receipt | join(', ') }}
    from landed_events
    {%- if is_incremental() %}
    where message_id in (select message_id from landed_events where {{ cdp_loaded_after_this() }})
    {%- endif %}

),

-- the struct minimum is taken over the repeated messages' copies only: found first by a plain
-- count, since nearly every message landed once (at 1,000,000 people, one aggregate with the
-- minimum over all 9.9 million copies took 3.1 s, these two 1.5 s)
repeated as (

    select
        message_id,
        count(*) as deliveries,
        -- the first copy received (null receipt times last, then the load, file and line)
        {{ cdp_min_row(order_of_receipt) }} as kept_copy

    from examined_copies
    where message_id in (
        select message_id from examined_copies group by message_id having count(*) > 1
    )
    group by message_id

),

erased as (

    {{ cdp_erased_keys('landed_events', 'message_id', cdp_erasable_identifiers('web')) }}

),

final as (

    select
        coalesce(repeated.message_id, erased.erased_key) as message_id,
        repeated.deliveries,
        case when erased.erased_key is null then repeated.kept_copy._source_file end as kept_source_file,
        case when erased.erased_key is null then repeated.kept_copy._source_line end as kept_source_line,
        erased.erased_key is not null as is_erased,
        -- the newest load staged when the row was computed: a nightly run looks at what came after
        {{ cdp_newest_load(ref('stg_web__events')) }} as _loaded_at

    from repeated
    full outer join erased on erased.erased_key = repeated.message_id

)

select * from final
