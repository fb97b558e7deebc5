-- One row per web event: delivery is at-least-once, so a messageId can land more than once.
-- The first delivery received is kept.

with

events as (

    select * from {{ ref('stg_web__events') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by message_id
            order by received_at nulls last, _loaded_at, _source_file, _source_line
        ) as delivery_rank,
        count(*) over (partition by message_id) as deliveries

    from events

),

final as (

    select * exclude (delivery_rank)
    from ranked
    where delivery_rank = 1

)

select * from final
