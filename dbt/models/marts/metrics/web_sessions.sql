-- Web and app sessions: one row per visit of a device (anonymousId), with its customer. The
-- sessions are built (incrementally) in intermediate/sessions/int_web__sessions; the customer
-- is the customer of the session's last event (after a login, the logged-in customer), which
-- identity resolution can move to another customer on any run.
--
-- Incremental: a nightly run compares the sessions whose row may have changed since the last
-- build (cdp_changed_records.sql) with the rows it holds, and rewrites those that differ: of
-- the sessions int_web__sessions recomputed since (the changed sessions of the devices active
-- that day and their later ones: 20,887 on day 366 of a year at 100,000 people; the sessions it
-- copied keep their stamp) and the sessions whose last event customer_records rewrote since,
-- about 9,000 are rewritten. The pre-hook deletes the sessions that are gone
-- (a device's sessions renumbered, or its events moved to another device). A run that processes
-- an erasure request rebuilds the table. `_built_at`: as in customer_records, what the release
-- patches with.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{%- set last_build = cdp_build_to_update() %}
{%- set changed_only = last_build is not none %}
{%- set compared = ['anonymous_id', 'session_number', 'customer_id', 'user_id', 'started_at', 'ended_at',
                    'duration_seconds', 'events', 'page_views', 'landing_page', 'campaign_source',
                    'campaign_medium', 'campaign_name', 'orders', 'has_order'] %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='session_id',
    pre_hook=["{{ cdp_empty_unless_updating() }}", "{{ cdp_forget_vanished_rows('session_id', ref('int_web__sessions')) }}"],
    post_hook=["{{ cdp_forget_incremental_build() }}", "{{ cdp_record_incremental_build([ref('int_web__sessions')]) }}"],
) }}

with

sessions as (

    select * from {{ ref('int_web__sessions') }}
    {%- if changed_only %}
    where _loaded_at > cast('{{ last_build[1] }}' as {{ dbt.type_timestamp() }})
        or last_message_id in (
            select record_key from ({{ cdp_records_rewritten_since(last_build[3]) }}) as rewritten
            where source = 'web'
        )
    {%- endif %}

),

customer_records as (

    select * from {{ ref('customer_records') }}
    where source = 'web'

),

computed as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        sessions.session_number,
        customer_records.customer_id,
        sessions.user_id,
        sessions.started_at,
        sessions.ended_at,
        sessions.duration_seconds,
        sessions.events,
        sessions.page_views,
        sessions.landing_page,
        sessions.campaign_source,
        sessions.campaign_medium,
        sessions.campaign_name,
        sessions.orders,
        sessions.has_order

    from sessions
    left join customer_records on customer_records.record_key = sessions.last_message_id

),

final as (

    select computed.*, {{ cdp_build_time() }} as _built_at
    from computed
    {%- if changed_only %}
    -- only the sessions whose row differs from the one held
    left join {{ this }} as held on held.session_id = computed.session_id
    where held.session_id is null
        {%- for column in compared %}
        or held.{{ column }} is distinct from computed.{{ column }}
        {%- endfor %}
    {%- endif %}

)

select * from final
