-- Visitors who never identified but came back and put something in their cart: a measure of the
-- demand the site fails to convert. Counted for analysts, never exported (no identity, no consent).

with

sessions as (

    select * from {{ ref('web_sessions') }}

),

events as (

    select * from {{ ref('int_web__events_deduplicated') }}

),

records as (

    select * from {{ ref('customer_records') }}

),

customers as (

    select * from {{ ref('customers') }}

),

cart_visitors as (

    select distinct records.customer_id

    from events
    inner join records on records.source = 'web' and records.record_key = events.message_id
    where events.event_type = 'track' and events.event_name = 'Product Added'

),

visits as (

    select
        customer_id,
        count(*) as sessions,
        max(ended_at) as last_visit_at

    from sessions
    group by customer_id

),

final as (

    select
        customers.customer_id,
        visits.sessions,
        visits.last_visit_at

    from customers
    inner join visits on visits.customer_id = customers.customer_id
    inner join cart_visitors on cart_visitors.customer_id = customers.customer_id
    where not customers.is_known
      and visits.sessions >= {{ var('segment_high_intent_min_sessions') }}

)

select * from final
