-- The "as of" point of every customer metric, one row. var('metrics_as_of') when set, else the
-- latest web event or till transaction in the data: not today's date, so a historical load or the
-- bundled sample still gives sensible recency. Every metrics model reads it from here.

with

web_events as (

    select * from {{ ref('int_web__events_deduplicated') }}

),

transactions as (

    select * from {{ ref('int_pos__transactions_deduplicated') }}

),

latest_activity as (

    select max(activity_at) as latest_activity_at
    from (
        select max(event_at) as activity_at from web_events
        union all
        select max(transaction_at) as activity_at from transactions
    ) as activity

),

final as (

    select
        {%- if var('metrics_as_of') is none %}
        latest_activity_at as as_of_at,
        'latest_activity' as as_of_rule,
        {%- else %}
        cast({{ cdp_sql_string(var('metrics_as_of')) }} as {{ dbt.type_timestamp() }}) as as_of_at,
        'var:metrics_as_of' as as_of_rule,
        {%- endif %}
        latest_activity_at

    from latest_activity

)

select * from final
