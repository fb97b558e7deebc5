-- One row per customer (every customer in marts.customers; zeros where there is no activity):
-- orders and revenue per channel, recency, web visits, RFM quintiles, preferred channel and
-- marketing consent, all as of metrics_as_of. Revenue is in the reporting currency
-- (var metrics_reporting_currency, fixed rates: docs/metrics.md).

with

as_of as (

    select * from {{ ref('metrics_as_of') }}

),

customers as (

    select * from {{ ref('customers') }}

),

orders as (

    select * from {{ ref('customer_orders') }}

),

sessions as (

    select * from {{ ref('web_sessions') }}

),

consent as (

    select * from {{ ref('customer_consent') }}

),

order_totals as (

    select
        orders.customer_id,
        count(case when orders.channel = 'web' then 1 end) as web_orders,
        coalesce(sum(case when orders.channel = 'web' then orders.revenue_converted end), 0) as web_revenue,
        count(case when orders.channel = 'pos' then 1 end) as pos_orders,
        coalesce(sum(case when orders.channel = 'pos' then orders.revenue_converted end), 0) as pos_revenue,
        count(*) as total_orders,
        coalesce(sum(orders.revenue_converted), 0) as lifetime_value,
        min(orders.ordered_at) as first_purchase_at,
        max(orders.ordered_at) as last_purchase_at

    from orders
    cross join as_of
    where orders.ordered_at <= as_of.as_of_at
      and orders.customer_id is not null
    group by orders.customer_id

),

session_totals as (

    select
        sessions.customer_id,
        count(*) as web_sessions,
        max(sessions.ended_at) as last_web_visit_at

    from sessions
    cross join as_of
    where sessions.started_at <= as_of.as_of_at
      and sessions.customer_id is not null
    group by sessions.customer_id

),

-- RFM over purchasers only. ntile(5) in ascending order of the measure (5 = most recent, most
-- orders, most revenue), ties split by customer_id so the split is deterministic; then every
-- customer with the same measure gets the lowest quintile any of them drew, so equal measures
-- always share a score (most customers have one order: they all get frequency 1).
rfm_tiles as (

    select
        customer_id,
        last_purchase_at,
        total_orders,
        lifetime_value,
        ntile(5) over (order by last_purchase_at, customer_id) as recency_tile,
        ntile(5) over (order by total_orders, customer_id) as frequency_tile,
        ntile(5) over (order by lifetime_value, customer_id) as monetary_tile

    from order_totals

),

rfm as (

    select
        customer_id,
        min(recency_tile) over (partition by last_purchase_at) as recency_score,
        min(frequency_tile) over (partition by total_orders) as frequency_score,
        min(monetary_tile) over (partition by lifetime_value) as monetary_score

    from rfm_tiles

),

final as (

    select
        customers.customer_id,

        coalesce(order_totals.web_orders, 0) as web_orders,
        coalesce(order_totals.web_revenue, 0) as web_revenue,
        coalesce(order_totals.pos_orders, 0) as pos_orders,
        coalesce(order_totals.pos_revenue, 0) as pos_revenue,
        coalesce(order_totals.total_orders, 0) as total_orders,
        coalesce(order_totals.lifetime_value, 0) as lifetime_value,
        {{ cdp_sql_string(var('metrics_reporting_currency') | upper) }} as revenue_currency,
        order_totals.first_purchase_at,
        order_totals.last_purchase_at,
        {{ dbt.datediff('order_totals.last_purchase_at', 'as_of.as_of_at', 'day') }} as days_since_last_purchase,

        session_totals.last_web_visit_at,
        coalesce(session_totals.web_sessions, 0) as web_sessions,

        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        {{ dbt.concat([
            'cast(rfm.recency_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm.frequency_score as ' ~ dbt.type_string() ~ ')',
            'cast(rfm.monetary_score as ' ~ dbt.type_string() ~ ')'
        ]) }} as rfm_score,

        -- more orders wins; at equal orders more revenue; a full tie (or no order) says nothing
        case
            when order_totals.web_orders > order_totals.pos_orders then 'web'
            when order_totals.pos_orders > order_totals.web_orders then 'pos'
            when order_totals.web_revenue > order_totals.pos_revenue then 'web'
            when order_totals.pos_revenue > order_totals.web_revenue then 'pos'
        end as preferred_channel,

        consent.email_consent,
        consent.email_consent_source,
        consent.email_consent_at,
        consent.sms_consent,
        consent.sms_consent_source,
        consent.sms_consent_at,
        consent.ads_consent,
        consent.ads_consent_source,
        consent.ads_consent_at,

        as_of.as_of_at

    from customers
    cross join as_of
    left join order_totals on order_totals.customer_id = customers.customer_id
    left join session_totals on session_totals.customer_id = customers.customer_id
    left join rfm on rfm.customer_id = customers.customer_id
    left join consent on consent.customer_id = customers.customer_id

)

select * from final
