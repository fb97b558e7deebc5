-- Web and app sessions: one row per visit of a device (anonymousId), with its customer. The
-- sessions are built (incrementally) in intermediate/sessions/int_web__sessions; the customer
-- is looked up here on every run, since identity resolution can move any record to another
-- customer: the customer of the session's last event (after a login, the logged-in customer).

with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

customer_records as (

    select * from {{ ref('customer_records') }}
    where source = 'web'

),

final as (

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

)

select * from final
