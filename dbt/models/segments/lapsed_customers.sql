-- At-risk customers: they used to buy often (frequency quintile 3 or better) but have not bought
-- lately (recency quintile 1 or 2). RFM quintiles are relative, so the rule holds whether the
-- warehouse holds thirty days of history or three years. Win-back e-mail audience.

with

metrics as (

    select * from {{ ref('customer_metrics') }}

),

customers as (

    select * from {{ ref('customers') }}

),

final as (

    select
        metrics.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        metrics.last_purchase_at,
        metrics.days_since_last_purchase,
        metrics.total_orders,
        metrics.lifetime_value

    from metrics
    inner join customers on customers.customer_id = metrics.customer_id
    where metrics.recency_score <= 2
      and metrics.frequency_score >= 3
      and metrics.email_consent

)

select * from final
