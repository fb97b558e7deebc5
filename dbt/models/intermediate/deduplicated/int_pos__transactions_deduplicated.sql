-- One row per till transaction: a store can export the same transaction twice. Transactions of
-- people who asked to be forgotten are left out (matched by identifier, or by the record itself
-- when identity resolution had tied it to them by name).

{{ config(
    materialized='incremental',
    unique_key='transaction_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp_forget_erased_rows('transaction_id', cdp_erasable_identifiers('pos')) }}",
) }}

with

landed_transactions as {{ cdp_not_materialized() }} (

    select * from {{ ref('stg_pos__transactions') }}
    -- incremental: only the keys that received new rows (macros/incremental/cdp_incremental.sql)
    {{ cdp_keys_with_new_rows(ref('stg_pos__transactions'), 'transaction_id') }}

),

erased_transactions as (

    {{ cdp_erased_keys('landed_transactions', 'transaction_id', cdp_erasable_identifiers('pos')) }}

),

transactions as {{ cdp_not_materialized() }} (

    select * from landed_transactions
    where transaction_id not in (select erased_key from erased_transactions)

),

final as (

    {{ cdp_first_row_per_key('transactions', 'transaction_id', '_loaded_at, _source_file, _source_line', 'copies_landed') }}

)

select * from final
