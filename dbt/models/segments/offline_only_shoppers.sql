-- Customers who buy in store but have never been seen online (no web orders, no web sessions):
-- invite them to the web shop. E-mail audience.

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
        metrics.pos_orders,
        metrics.pos_revenue,
        metrics.last_purchase_at

    from metrics
    inner join customers on customers.customer_id = metrics.customer_id
    where metrics.pos_orders > 0
      and metrics.web_orders = 0
      and metrics.web_sessions = 0
      and customers.email is not null
      and metrics.email_consent

)

select * from final
