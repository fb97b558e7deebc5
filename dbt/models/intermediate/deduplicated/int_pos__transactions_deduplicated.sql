-- One row per till transaction: a store can export the same transaction twice.

with

transactions as (

    select * from {{ ref('stg_pos__transactions') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by transaction_id
            order by _loaded_at, _source_file, _source_line
        ) as copy_rank,
        count(*) over (partition by transaction_id) as copies_landed

    from transactions

),

final as (

    select * exclude (copy_rank)
    from ranked
    where copy_rank = 1

)

select * from final
