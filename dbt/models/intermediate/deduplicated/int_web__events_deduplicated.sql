-- One row per web event: delivery is at-least-once, so a messageId can land more than once.
-- The first delivery received is kept. Events of people who asked to be forgotten are left out
-- (every event of their cookies and user ids, not only those carrying the e-mail).

{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp_forget_erased_rows('message_id', cdp_erasable_identifiers('web')) }}",
) }}

with

landed_events as {{ cdp_not_materialized() }} (

    select * from {{ ref('stg_web__events') }}
    -- incremental: only the keys that received new rows (macros/incremental/cdp_incremental.sql)
    {{ cdp_keys_with_new_rows(ref('stg_web__events'), 'message_id') }}

),

erased_events as (

    {{ cdp_erased_keys('landed_events', 'message_id', cdp_erasable_identifiers('web')) }}

),

events as {{ cdp_not_materialized() }} (

    select * from landed_events
    where message_id not in (select erased_key from erased_events)

),

final as (

    {{ cdp_first_row_per_key('events', 'message_id', 'received_at nulls last, _loaded_at, _source_file, _source_line', 'deliveries') }}

)

select * from final
