-- Web and app sessions: one row per visit of a device (anonymousId). A session ends when the
-- device sends nothing for more than var('web_session_inactivity_minutes') minutes (30); the
-- next event starts a new one. Set-based: lag() finds the gaps, a running sum numbers the
-- sessions. Server-side calls (userId, no anonymousId: half of the logged-in orders) join the
-- session of the same user that was open at the time, so has_order sees them too.

{%- set inactivity_ms = var('web_session_inactivity_minutes') * 60 * 1000 %}

with

events as (

    select * from {{ ref('int_web__events_deduplicated') }}
    where event_at is not null

),

customer_records as (

    select * from {{ ref('customer_records') }}
    where source = 'web'

),

device_events as (

    select * from events
    where anonymous_id is not null

),

server_events as (

    select * from events
    where anonymous_id is null
      and user_id is not null

),

gaps as (

    select
        message_id,
        anonymous_id,
        event_at,
        lag(event_at) over (partition by anonymous_id order by event_at, message_id) as previous_event_at

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
        message_id,
        anonymous_id,
        sum(is_session_start) over (
            partition by anonymous_id
            order by event_at, message_id
            rows between unbounded preceding and current row
        ) as session_number

    from session_starts

),

device_sessions as (

    select
        numbered.anonymous_id,
        numbered.session_number,
        min(device_events.event_at) as started_at,
        max(device_events.event_at) as device_ended_at

    from numbered
    inner join device_events on device_events.message_id = numbered.message_id
    group by numbered.anonymous_id, numbered.session_number

),

-- The user logged in on the device: the latest userId seen in the session.
session_users_ranked as (

    select
        numbered.anonymous_id,
        numbered.session_number,
        device_events.user_id,
        row_number() over (
            partition by numbered.anonymous_id, numbered.session_number
            order by device_events.event_at desc, device_events.message_id desc
        ) as user_rank

    from numbered
    inner join device_events on device_events.message_id = numbered.message_id
    where device_events.user_id is not null

),

session_users as (

    select anonymous_id, session_number, user_id
    from session_users_ranked
    where user_rank = 1

),

-- A server-side call belongs to its user's session that had started by then and had seen the
-- device within the inactivity window; of several, the latest started.
server_matches as (

    select
        server_events.message_id,
        device_sessions.anonymous_id,
        device_sessions.session_number,
        row_number() over (
            partition by server_events.message_id
            order by device_sessions.started_at desc, device_sessions.anonymous_id
        ) as match_rank

    from server_events
    inner join session_users on session_users.user_id = server_events.user_id
    inner join device_sessions
        on device_sessions.anonymous_id = session_users.anonymous_id
        and device_sessions.session_number = session_users.session_number
    where server_events.event_at >= device_sessions.started_at
      and {{ dbt.datediff('device_sessions.device_ended_at', 'server_events.event_at', 'millisecond') }} <= {{ inactivity_ms }}

),

session_events as (

    select
        numbered.anonymous_id as session_anonymous_id,
        numbered.session_number,
        device_events.*
    from numbered
    inner join device_events on device_events.message_id = numbered.message_id

    union all

    select
        server_matches.anonymous_id as session_anonymous_id,
        server_matches.session_number,
        server_events.*
    from server_matches
    inner join server_events on server_events.message_id = server_matches.message_id
    where server_matches.match_rank = 1

),

ordered_events as (

    select
        session_events.session_anonymous_id,
        session_events.session_number,
        session_events.message_id,
        session_events.event_type,
        session_events.event_name,
        session_events.order_id,
        session_events.page_path,
        session_events.campaign_name,
        session_events.campaign_source,
        session_events.campaign_medium,
        session_events.event_at,
        customer_records.customer_id,
        row_number() over (
            partition by session_events.session_anonymous_id, session_events.session_number
            order by session_events.event_at desc, session_events.message_id desc
        ) as rank_from_last,
        case when session_events.event_type in ('page', 'screen') then
            row_number() over (
                partition by session_events.session_anonymous_id, session_events.session_number,
                    case when session_events.event_type in ('page', 'screen') then 1 else 0 end
                order by session_events.event_at, session_events.message_id
            )
        end as view_number,
        case when session_events.campaign_source is not null then
            row_number() over (
                partition by session_events.session_anonymous_id, session_events.session_number,
                    case when session_events.campaign_source is not null then 1 else 0 end
                order by session_events.event_at, session_events.message_id
            )
        end as campaign_number

    from session_events
    left join customer_records on customer_records.record_key = session_events.message_id

),

aggregated as (

    select
        session_anonymous_id as anonymous_id,
        session_number,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as events,
        count(case when event_type in ('page', 'screen') then 1 end) as page_views,
        count(distinct case when event_name = 'Order Completed' then coalesce(order_id, message_id) end) as orders,
        -- the customer of the session's last event: after a login, the logged-in customer
        max(case when rank_from_last = 1 then customer_id end) as customer_id,
        -- the first page (path) or app screen (name) viewed
        max(case when view_number = 1 then coalesce(page_path, event_name) end) as landing_page,
        max(case when campaign_number = 1 then campaign_source end) as campaign_source,
        max(case when campaign_number = 1 then campaign_medium end) as campaign_medium,
        max(case when campaign_number = 1 then campaign_name end) as campaign_name

    from ordered_events
    group by session_anonymous_id, session_number

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'aggregated.anonymous_id',
            "'|'",
            'cast(aggregated.started_at as ' ~ dbt.type_string() ~ ')'
        ])) }} as session_id,
        aggregated.anonymous_id,
        aggregated.session_number,
        aggregated.customer_id,
        session_users.user_id,
        aggregated.started_at,
        aggregated.ended_at,
        {{ dbt.datediff('aggregated.started_at', 'aggregated.ended_at', 'second') }} as duration_seconds,
        aggregated.events,
        aggregated.page_views,
        aggregated.landing_page,
        aggregated.campaign_source,
        aggregated.campaign_medium,
        aggregated.campaign_name,
        aggregated.orders,
        aggregated.orders > 0 as has_order

    from aggregated
    left join session_users
        on session_users.anonymous_id = aggregated.anonymous_id
        and session_users.session_number = aggregated.session_number

)

select * from final
