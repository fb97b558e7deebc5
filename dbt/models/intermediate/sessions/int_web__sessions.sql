-- Web and app sessions before identity: one row per visit of a device (anonymousId), with the
-- events it holds. marts/metrics/web_sessions adds each session's customer. A session ends when
-- the device sends nothing for more than var('web_session_inactivity_minutes') minutes (30); the
-- next event starts a new one. Set-based: lag() finds the gaps, a running sum numbers the
-- sessions. Server-side calls (userId, no anonymousId: half of the logged-in orders) join the
-- session of the same user that was open at the time, so has_order sees them too. A session's
-- first view, first campaign and last event are picked with arg_min/arg_max aggregates, not
-- row_number() windows: at 10 million events each window was a sort of them all.
--
-- Incremental: a nightly run recomputes only the sessions that can have changed, each from its
-- device's events (delete+insert by device, the device's earlier sessions copied as they are):
--   * on a device that received a new delivery, or lost one (a re-delivery can replace the kept
--     copy: the old copy's device loses the event), its stored session that holds or precedes the
--     earliest such event and every later one. A session starts after a gap of more than the
--     inactivity window, so the sessions before that point cannot change, and keep their numbers;
--   * of every user seen in those sessions (before or after) or on a new or replaced delivery,
--     the stored sessions that could hold one of the user's server-side calls from that user's
--     earliest change on (a changed session can win or lose the user's server-side calls, which
--     may belong to a session on another device), with every later session of their devices.
-- A day's new events recompute the devices' last sessions and the new ones, not every session
-- of every device active that day. Server-side calls are matched again for every user of a
-- recomputed session, against the recomputed sessions and the stored sessions left as they are.
-- Rows copied as they are keep their `_loaded_at`, so readers that look at what was recomputed
-- (marts/metrics/web_sessions) see only the recomputed ones. A nightly run plans its joins as
-- written (cdp_plan_joins_as_written): every join below puts the few rows it looks up (the new
-- messages, the recomputed devices and users, the picked events) on its right, the side hashed. A run that processes an erasure
-- request rebuilds the model (its pre-hook empties it): erased events leave no new delivery.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{{ config(
    materialized='incremental',
    unique_key='anonymous_id',
    incremental_strategy='delete+insert',
    pre_hook=["{{ cdp_rebuild_on_erasure() }}", "{{ cdp_plan_joins_as_written() if cdp_recompute_touched_only() }}"],
    post_hook="{{ cdp_plan_joins_freely() }}",
) }}

{%- set inactivity_ms = var('web_session_inactivity_minutes') * 60 * 1000 %}
{#- A session's counts and picks over some of its events (the device's own, or the server-side
    calls that joined it), each pick with the time it was picked at, so the two parts combine.
    Picks go by event time, then message id. A device's events carry that order as one number
    (event_rank, numbered in the same window as the gaps, so no second sort): comparing it
    instead of the (time, id) pair took the device sessions' aggregate from 10.3 to 4.2 CPU
    seconds at 1,000,000 people. The server-side calls have no device order and compare the pair. -#}
{%- set session_figures = {} %}
{%- for events_of, pick_order in [('device', 'event_rank'), ('server', ['event_at', 'message_id'])] %}
{%- set figures %}
        count(*) as events,
        count(case when event_type in ('page', 'screen') then 1 end) as page_views,
        {{ cdp_arg_max('message_id', pick_order) }} as last_message_id,
        min(case when event_type in ('page', 'screen') then event_at end) as first_view_at,
        {{ cdp_arg_min('message_id', pick_order, "event_type in ('page', 'screen')") }} as first_view_message_id,
        min(case when campaign_source is not null then event_at end) as first_campaign_at,
        {{ cdp_arg_min('message_id', pick_order, 'campaign_source is not null') }} as first_campaign_message_id
{%- endset %}
{%- do session_figures.update({events_of: figures}) %}
{%- endfor %}
{%- set only_changed = cdp_recompute_touched_only() %}
{%- set beginning_of_time = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" %}
{%- set session_columns = ['session_id', 'anonymous_id', 'session_number', 'user_id', 'started_at', 'ended_at',
                           'device_ended_at', 'duration_seconds', 'events', 'page_views', 'landing_page',
                           'campaign_source', 'campaign_medium', 'campaign_name', 'orders', 'has_order',
                           'last_message_id', '_loaded_at'] %}

with

events as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_web__events_deduplicated') }}
    where event_at is not null

),

{% if only_changed %}

deliveries as {{ cdp_not_materialized() }} (

    select message_id, anonymous_id, user_id, event_at, _loaded_at from {{ ref('stg_web__events') }}

),

new_messages as (

    select distinct message_id from deliveries
    where {{ cdp_loaded_after_this() }}

),

-- every copy of those messages, old and new; an event without a time is in no session
touched_deliveries as (

    select deliveries.anonymous_id, deliveries.user_id, deliveries.event_at
    from deliveries
    inner join new_messages on new_messages.message_id = deliveries.message_id
    where deliveries.event_at is not null

),

stored_sessions as {{ cdp_not_materialized() }} (

    select * from {{ this }}

),

-- per changed device, the start of its stored session that holds or precedes the earliest
-- change (the beginning of time when none does): its sessions are recomputed from there
changed_devices as (

    select anonymous_id, min(event_at) as changed_from
    from touched_deliveries
    where anonymous_id is not null
    group by anonymous_id

),

changed_device_cuts as (

    select
        changed_devices.anonymous_id,
        coalesce(max(stored_sessions.started_at), {{ beginning_of_time }}) as recompute_from

    from changed_devices
    left join stored_sessions
        on stored_sessions.anonymous_id = changed_devices.anonymous_id
        and stored_sessions.started_at <= changed_devices.changed_from
    group by changed_devices.anonymous_id

),

-- per affected user, the earliest time from which the user's server-side calls may join another
-- session: a new or replaced delivery of the user, or the cut of a changed device the user was
-- or is seen on from that cut
user_changes as (

    select user_id, event_at as changed_from
    from touched_deliveries
    where user_id is not null

    union all

    select events.user_id, changed_device_cuts.recompute_from
    from events
    inner join changed_device_cuts
        on changed_device_cuts.anonymous_id = events.anonymous_id
        and events.event_at >= changed_device_cuts.recompute_from
    where events.user_id is not null

    union all

    select stored_sessions.user_id, changed_device_cuts.recompute_from
    from stored_sessions
    inner join changed_device_cuts
        on changed_device_cuts.anonymous_id = stored_sessions.anonymous_id
        and stored_sessions.started_at >= changed_device_cuts.recompute_from
    where stored_sessions.user_id is not null

),

affected_users as (

    select user_id, min(changed_from) as changed_from
    from user_changes
    group by user_id

),

-- the affected users' stored sessions that could hold a server-side call made from then on
-- (seen on the device within the inactivity window before it), recomputed with their devices'
-- later sessions
user_device_cuts as (

    select stored_sessions.anonymous_id, min(stored_sessions.started_at) as recompute_from
    from stored_sessions
    inner join affected_users on affected_users.user_id = stored_sessions.user_id
    where {{ dbt.datediff('stored_sessions.device_ended_at', 'affected_users.changed_from', 'millisecond') }} <= {{ inactivity_ms }}
    group by stored_sessions.anonymous_id

),

device_cuts as (

    select anonymous_id, min(recompute_from) as recompute_from
    from (
        select * from changed_device_cuts
        union all
        select * from user_device_cuts
    ) as cuts
    group by anonymous_id

),

-- each recomputed device's stored sessions before its cut, kept as they are
kept_sessions as (

    select stored_sessions.*
    from stored_sessions
    inner join device_cuts
        on device_cuts.anonymous_id = stored_sessions.anonymous_id
        and stored_sessions.started_at < device_cuts.recompute_from

),

-- where each recomputed device's numbering goes on
recomputed_devices as (

    select device_cuts.anonymous_id, device_cuts.recompute_from, coalesce(max(kept_sessions.session_number), 0) as sessions_before
    from device_cuts
    left join kept_sessions on kept_sessions.anonymous_id = device_cuts.anonymous_id
    group by device_cuts.anonymous_id, device_cuts.recompute_from

),

{% endif %}

device_events as {{ cdp_not_materialized() }} (

    {% if only_changed %}
    select events.*, recomputed_devices.sessions_before
    from events
    inner join recomputed_devices
        on recomputed_devices.anonymous_id = events.anonymous_id
        and events.event_at >= recomputed_devices.recompute_from
    {% else %}
    select *, 0 as sessions_before
    from events
    where anonymous_id is not null
    {% endif %}

),

gaps as (

    select
        message_id, anonymous_id, user_id, event_type, event_name, order_id, campaign_source, event_at, sessions_before,
        lag(event_at) over (partition by anonymous_id order by event_at, message_id) as previous_event_at,
        row_number() over (partition by anonymous_id order by event_at, message_id) as event_rank

    from device_events

),

session_starts as (

    select
        *,
        case
            when previous_event_at is null then 1
            when {{ dbt.datediff('previous_event_at', 'event_at', 'millisecond') }} > {{ inactivity_ms }} then 1
            else 0
        end as is_session_start

    from gaps

),

numbered as (

    select
        *,
        sessions_before + sum(is_session_start) over (
            partition by anonymous_id
            order by event_at, message_id
            rows between unbounded preceding and current row
        ) as session_number

    from session_starts

),

-- Each device session in one pass over its events: the user logged in on the device (the latest
-- userId seen), its counts, and its picks (last event, first view, first campaign) with their
-- times, which the server-side calls it receives below may still beat. Reading the numbered
-- events once keeps DuckDB from copying them (9.7 million rows at 1,000,000 people) for a second
-- reader; the server-side calls are few, so they are aggregated apart and added afterwards.
device_sessions as (

    select
        anonymous_id,
        session_number,
        min(event_at) as started_at,
        max(event_at) as device_ended_at,
        {{ cdp_arg_max('user_id', 'event_rank', 'user_id is not null') }} as user_id,
        count(case when event_name = 'Order Completed' then 1 end) as order_events,
        {{ session_figures['device'] }}

    from numbered
    group by anonymous_id, session_number

),

-- The sessions a server-side call can join: every session (on a nightly run: the recomputed ones
-- and the stored sessions left as they are, of the users of a recomputed session).
candidate_sessions as (

    select anonymous_id, session_number, started_at, device_ended_at, user_id, true as is_recomputed
    from device_sessions
    where user_id is not null

    {% if only_changed %}
    union all

    select stored_sessions.anonymous_id, stored_sessions.session_number, stored_sessions.started_at,
           stored_sessions.device_ended_at, stored_sessions.user_id, false
    from stored_sessions
    left join recomputed_devices on recomputed_devices.anonymous_id = stored_sessions.anonymous_id
    where stored_sessions.user_id in (select user_id from device_sessions)
      and (recomputed_devices.anonymous_id is null or stored_sessions.started_at < recomputed_devices.recompute_from)
    {% endif %}

),

{% if only_changed %}
-- a server-side call can join only a session that had started by then
recomputed_users as (

    select user_id, min(started_at) as first_started_at
    from device_sessions
    where user_id is not null
    group by user_id

),

{% endif %}
server_events as {{ cdp_not_materialized() }} (

    {% if only_changed %}
    select events.*
    from events
    inner join recomputed_users
        on recomputed_users.user_id = events.user_id
        and events.event_at >= recomputed_users.first_started_at
    where events.anonymous_id is null
    {% else %}
    select * from events
    where anonymous_id is null
      and user_id is not null
    {% endif %}

),

-- A server-side call belongs to its user's session that had started by then and had seen the
-- device within the inactivity window; of several, the latest started.
server_matches as (

    select
        server_events.message_id,
        candidate_sessions.anonymous_id,
        candidate_sessions.session_number,
        candidate_sessions.is_recomputed,
        row_number() over (
            partition by server_events.message_id
            order by candidate_sessions.started_at desc, candidate_sessions.anonymous_id
        ) as match_rank

    from server_events
    inner join candidate_sessions on candidate_sessions.user_id = server_events.user_id
    where server_events.event_at >= candidate_sessions.started_at
      and {{ dbt.datediff('candidate_sessions.device_ended_at', 'server_events.event_at', 'millisecond') }} <= {{ inactivity_ms }}

),

-- the server-side calls that joined a session computed in this run
server_session_events as (

    select
        server_matches.anonymous_id,
        server_matches.session_number,
        server_events.message_id,
        server_events.event_type,
        server_events.event_name,
        server_events.order_id,
        server_events.campaign_source,
        server_events.event_at
    from server_matches
    inner join server_events on server_events.message_id = server_matches.message_id
    where server_matches.match_rank = 1
      and server_matches.is_recomputed

),

server_sessions as (

    select
        anonymous_id,
        session_number,
        max(event_at) as ended_at,
        {{ session_figures['server'] }}

    from server_session_events
    group by anonymous_id, session_number

),

-- Orders count once per order id (a client and a server call can both report one): the order
-- events of the device, found in their session by time (a device's sessions do not overlap), and
-- of its server-side calls.
session_orders as (

    select device_sessions.anonymous_id, device_sessions.session_number,
           coalesce(device_events.order_id, device_events.message_id) as order_key
    from device_events
    inner join device_sessions
        on device_sessions.anonymous_id = device_events.anonymous_id
        and device_events.event_at between device_sessions.started_at and device_sessions.device_ended_at
    where device_events.event_name = 'Order Completed'
      and device_sessions.order_events > 0

    union all

    select anonymous_id, session_number, coalesce(order_id, message_id)
    from server_session_events
    where event_name = 'Order Completed'

),

session_order_counts as (

    select anonymous_id, session_number, count(distinct order_key) as orders
    from session_orders
    group by anonymous_id, session_number

),

aggregated as (

    select
        device_sessions.anonymous_id,
        device_sessions.session_number,
        device_sessions.started_at,
        device_sessions.device_ended_at,
        device_sessions.user_id,
        case when server_sessions.ended_at > device_sessions.device_ended_at
            then server_sessions.ended_at else device_sessions.device_ended_at end as ended_at,
        device_sessions.events + coalesce(server_sessions.events, 0) as events,
        device_sessions.page_views + coalesce(server_sessions.page_views, 0) as page_views,
        coalesce(session_order_counts.orders, 0) as orders,
        -- after a login, the session's last event is the logged-in customer's
        {{ cdp_combine_picks('device_sessions.device_ended_at', 'device_sessions.last_message_id',
                             'server_sessions.ended_at', 'server_sessions.last_message_id', keep='latest') }} as last_message_id,
        {{ cdp_combine_picks('device_sessions.first_view_at', 'device_sessions.first_view_message_id',
                             'server_sessions.first_view_at', 'server_sessions.first_view_message_id', keep='earliest') }} as first_view_message_id,
        {{ cdp_combine_picks('device_sessions.first_campaign_at', 'device_sessions.first_campaign_message_id',
                             'server_sessions.first_campaign_at', 'server_sessions.first_campaign_message_id', keep='earliest') }} as first_campaign_message_id

    from device_sessions
    left join server_sessions
        on server_sessions.anonymous_id = device_sessions.anonymous_id
        and server_sessions.session_number = device_sessions.session_number
    left join session_order_counts
        on session_order_counts.anonymous_id = device_sessions.anonymous_id
        and session_order_counts.session_number = device_sessions.session_number

),

-- the first view's and first campaign's events, for their page and campaign fields: joined from
-- these few, not from every event (DuckDB would build its hash table on all of them)
picked_messages as (

    select first_view_message_id as message_id from aggregated where first_view_message_id is not null
    union
    select first_campaign_message_id from aggregated where first_campaign_message_id is not null

),

picked_events as (

    select events.message_id, events.page_path, events.event_name,
           events.campaign_source, events.campaign_medium, events.campaign_name
    from events
    inner join picked_messages on picked_messages.message_id = events.message_id

),

recomputed as (

    select
        {{ dbt.hash(dbt.concat([
            'aggregated.anonymous_id',
            "'|'",
            'cast(aggregated.started_at as ' ~ dbt.type_string() ~ ')'
        ])) }} as session_id,
        aggregated.anonymous_id,
        aggregated.session_number,
        aggregated.user_id,
        aggregated.started_at,
        aggregated.ended_at,
        aggregated.device_ended_at,
        {{ dbt.datediff('aggregated.started_at', 'aggregated.ended_at', 'second') }} as duration_seconds,
        aggregated.events,
        aggregated.page_views,
        -- the first page (path) or app screen (name) viewed
        coalesce(first_view.page_path, first_view.event_name) as landing_page,
        first_campaign.campaign_source,
        first_campaign.campaign_medium,
        first_campaign.campaign_name,
        aggregated.orders,
        aggregated.orders > 0 as has_order,
        aggregated.last_message_id,
        -- the newest load staged when the session was computed: a nightly run looks at what came after
        {{ cdp_newest_load(ref('stg_web__events')) }} as _loaded_at

    from aggregated
    left join picked_events as first_view on first_view.message_id = aggregated.first_view_message_id
    left join picked_events as first_campaign on first_campaign.message_id = aggregated.first_campaign_message_id

),

final as (

    select * from recomputed
    {%- if only_changed %}
    union all
    select {{ session_columns | join(', ') }} from kept_sessions
    {%- endif %}

)

select * from final
