{{ config(materialized='incremental', incremental_strategy='append') }}

with

source as (

    select * from {{ source('raw', 'pos_transactions') }}
    -- incremental: the loads (landed files) not staged yet
    {{ cdp_unstaged_loads(source('raw', 'pos_transactions')) }}

),

renamed as (

    select
        -- ids
        {{ cdp_trim('transaction_id') }} as transaction_id,
        {{ cdp_trim('store_id') }} as store_id,
        {{ cdp_normalize_loyalty_id('loyalty_id') }} as loyalty_id,

        -- customer as given at the till
        {{ cdp_normalize_email('email') }} as email,
        {{ cdp_trim('phone') }} as phone_raw,
        {{ cdp_squish('first_name') }} as first_name,
        {{ cdp_squish('last_name') }} as last_name,
        {{ cdp_normalize_postal_code('postal_code') }} as postal_code,
        {{ cdp_postal_code_key('postal_code') }} as postal_code_normalized,
        upper({{ cdp_trim('country') }}) as country,

        -- amounts
        cast({{ cdp_trim('amount') }} as decimal(18, 2)) as amount,
        upper({{ cdp_trim('currency') }}) as currency,
        cast({{ cdp_trim('item_count') }} as {{ dbt.type_bigint() }}) as item_count,

        -- timestamps (UTC)
        {{ cdp_to_utc('transaction_at') }} as transaction_at,

        -- load metadata
        _source_file,
        _source_line,
        _load_id,
        {{ cdp_timestamptz_to_utc('_loaded_at') }} as _loaded_at

    from source

),

-- National phone numbers are read with the store's country, else the project default
-- (var default_phone_country); without either only international forms are usable.
phone_normalized as (

    {{ cdp_with_e164_phone('renamed', 'phone_raw', 'renamed.country') }}

),

final as (

    select
        transaction_id,
        store_id,
        loyalty_id,

        email,
        {{ cdp_is_valid_email('email') }} as is_valid_email,
        phone_raw,
        phone,
        case when phone_raw is not null then phone is not null end as is_valid_phone,
        {{ cdp_display_name('first_name') }} as first_name,
        {{ cdp_display_name('last_name') }} as last_name,
        {{ cdp_name_key('first_name') }} as first_name_normalized,
        {{ cdp_name_key('last_name') }} as last_name_normalized,
        postal_code,
        postal_code_normalized,
        country,

        amount,
        currency,
        item_count,

        transaction_at,

        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from phone_normalized

)

select * from final
