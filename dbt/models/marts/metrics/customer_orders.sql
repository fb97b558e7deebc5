-- One row per order, both channels: web orders (Segment `Order Completed` track calls) and till
-- transactions, each with the customer identity resolution gave its record. Revenue stays in the
-- order's own currency (revenue, currency) and is also converted to the reporting currency with
-- the fixed rates of var('metrics_exchange_rates') (revenue_converted); see docs/metrics.md.

with

web_events as (

    select * from {{ ref('int_web__events_deduplicated') }}
    where event_type = 'track'
      and event_name = 'Order Completed'

),

transactions as (

    select * from {{ ref('int_pos__transactions_deduplicated') }}

),

customer_records as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_records') }}

),

-- The same order tracked twice (browser and backend, or a retry under a new messageId) is one
-- order: the first call is kept. A call without order_id is an order of its own (keyed by messageId).
web_orders_ranked as (

    select
        web_events.*,
        coalesce(web_events.order_id, web_events.message_id) as web_order_id,
        row_number() over (
            partition by coalesce(web_events.order_id, web_events.message_id)
            order by web_events.event_at, web_events.message_id
        ) as tracking_rank,
        count(*) over (partition by coalesce(web_events.order_id, web_events.message_id)) as times_tracked

    from web_events

),

web_orders as (

    select
        web_orders_ranked.web_order_id as order_id,
        'web' as channel,
        customer_records.customer_id,
        web_orders_ranked.event_at as ordered_at,
        web_orders_ranked.revenue,
        web_orders_ranked.currency,
        {{ cdp_json_array_sum('web_orders_ranked.properties', '$.products[*].quantity') }} as item_count,
        cast(null as {{ dbt.type_string() }}) as store_id,
        web_orders_ranked.message_id as record_key,
        web_orders_ranked.times_tracked

    from web_orders_ranked
    left join customer_records
        on customer_records.source = 'web'
        and customer_records.record_key = web_orders_ranked.message_id
    where web_orders_ranked.tracking_rank = 1

),

pos_orders as (

    select
        transactions.transaction_id as order_id,
        'pos' as channel,
        customer_records.customer_id,
        transactions.transaction_at as ordered_at,
        transactions.amount as revenue,
        transactions.currency,
        transactions.item_count,
        transactions.store_id,
        transactions.transaction_id as record_key,
        1 as times_tracked

    from transactions
    left join customer_records
        on customer_records.source = 'pos'
        and customer_records.record_key = transactions.transaction_id

),

unioned as (

    select * from web_orders
    union all
    select * from pos_orders

),

final as (

    select
        {{ dbt.concat(['channel', "':'", 'order_id']) }} as order_key,
        order_id,
        channel,
        customer_id,
        ordered_at,
        revenue,
        currency,
        {{ cdp_to_reporting_currency('revenue', 'currency') }} as revenue_converted,
        {{ cdp_sql_string(var('metrics_reporting_currency') | upper) }} as reporting_currency,
        item_count,
        store_id,
        record_key,
        times_tracked

    from unioned

)

select * from final
