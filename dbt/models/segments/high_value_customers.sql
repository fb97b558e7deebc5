-- Customers in the top spend quintile who buy repeatedly: the audience for VIP and loyalty offers.
-- Only customers who agreed to e-mail marketing (the segment's consent channel) are members.

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
        metrics.lifetime_value,
        metrics.total_orders,
        metrics.last_purchase_at,
        metrics.rfm_score

    from metrics
    inner join customers on customers.customer_id = metrics.customer_id
    where metrics.monetary_score = 5
      and metrics.total_orders >= {{ var('segment_high_value_min_orders') }}
      and metrics.email_consent

)

select * from final
