-- One row per order, both channels: web orders (Segment `Order Completed` track calls) and till
-- transactions, each with the customer identity resolution gave its record. Revenue stays in the
-- order's own currency (revenue, currency) and is also converted to the reporting currency with
-- the fixed rates of var('metrics_exchange_rates') (revenue_converted); see docs/metrics.md.

-- Incremental: a nightly run rewrites the orders whose rows may have changed since the last
-- build (cdp_changed_records.sql): orders with a call or a sale loaded since, and orders whose
-- record customer_records rewrote since (its customer changed). The web orders are recomputed
-- from every call of their order_id, so the first call and the count of calls are the full
-- build's. A run that processes an erasure request rebuilds the table. `_built_at`: as in
-- customer_records, what the release patches with.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)
-- depends_on: {{ ref('stg_pos__transactions') }}, {{ ref('stg_web__events') }}  (the newest load, post-hook)

{%- set last_build = cdp_build_to_update() %}
{%- set changed_only = last_build is not none %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_key',
    pre_hook="{{ cdp_empty_unless_updating() }}",
    post_hook=[
        "{{ cdp_forget_incremental_build() }}",
        "{{ cdp_record_incremental_build([ref('stg_pos__transactions'), ref('stg_web__events')]) }}",
    ],
) }}

with

order_calls as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_web__events_deduplicated') }}
    where event_type = 'track'
      and event_name = 'Order Completed'

),

{% if changed_only %}
-- records whose customer customer_records rewrote since this model's last build
rewritten_records as (

    {{ cdp_records_rewritten_since(last_build[3]) }}

),

changed_web_orders as (

    select distinct coalesce(order_calls.order_id, order_calls.message_id) as web_order_id
    from order_calls
    left join rewritten_records
        on rewritten_records.source = 'web'
        and rewritten_records.record_key = order_calls.message_id
    where order_calls._loaded_at > cast('{{ last_build[1] }}' as {{ dbt.type_timestamp() }})
        or rewritten_records.record_key is not null

),

{% endif %}
web_events as (

    select order_calls.*
    from order_calls
    {%- if changed_only %}
    inner join changed_web_orders
        on changed_web_orders.web_order_id = coalesce(order_calls.order_id, order_calls.message_id)
    {%- endif %}

),

transactions as (

    select * from {{ ref('int_pos__transactions_deduplicated') }}
    {%- if changed_only %}
    where _loaded_at > cast('{{ last_build[1] }}' as {{ dbt.type_timestamp() }})
        or transaction_id in (select record_key from rewritten_records where source = 'pos')
    {%- endif %}

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
        times_tracked,
        {{ cdp_build_time() }} as _built_at

    from unioned

)

select * from final
