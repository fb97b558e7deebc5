-- Known customers who added a product to their cart and bought nothing, online or in store,
-- within the following var('segment_cart_abandonment_days') days. Only carts whose window has
-- fully passed by the as-of time count. Retargeting audience for the ad platforms, so members
-- must have consented to ads.

with

events as (

    select * from {{ ref('int_web__events_deduplicated') }}

),

records as (

    select * from {{ ref('customer_records') }}

),

orders as (

    select * from {{ ref('customer_orders') }}

),

metrics as (

    select * from {{ ref('customer_metrics') }}

),

customers as (

    select * from {{ ref('customers') }}

),

cart_additions as (

    select
        records.customer_id,
        events.event_at as added_at

    from events
    inner join records on records.source = 'web' and records.record_key = events.message_id
    where events.event_type = 'track' and events.event_name = 'Product Added'

),

abandoned_carts as (

    select
        cart_additions.customer_id,
        max(cart_additions.added_at) as last_abandoned_at,
        count(*) as abandoned_additions

    from cart_additions
    inner join metrics on metrics.customer_id = cart_additions.customer_id
    where {{ dbt.dateadd('day', var('segment_cart_abandonment_days'), 'cart_additions.added_at') }} <= metrics.as_of_at
      and not exists (
          select 1
          from orders
          where orders.customer_id = cart_additions.customer_id
            and orders.ordered_at >= cart_additions.added_at
            and orders.ordered_at < {{ dbt.dateadd('day', var('segment_cart_abandonment_days'), 'cart_additions.added_at') }}
      )
    group by cart_additions.customer_id

),

final as (

    select
        abandoned_carts.customer_id,
        customers.email,
        customers.phone,
        customers.country,
        abandoned_carts.last_abandoned_at,
        abandoned_carts.abandoned_additions

    from abandoned_carts
    inner join customers on customers.customer_id = abandoned_carts.customer_id
    inner join metrics on metrics.customer_id = abandoned_carts.customer_id
    where customers.is_known
      and metrics.ads_consent
      and (customers.email is not null or customers.phone is not null)

)

select * from final
