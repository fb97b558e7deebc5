{{ config(materialized='incremental', incremental_strategy='append') }}

with

source as (

    select * from {{ source('raw', 'crm_contacts') }}
    -- incremental: the loads (landed files) not staged yet
    {{ cdp_unstaged_loads(source('raw', 'crm_contacts')) }}

),

renamed as (

    select
        -- ids
        {{ cdp_trim('contact_id') }} as contact_id,
        {{ cdp_normalize_loyalty_id('loyalty_id') }} as loyalty_id,

        -- person
        {{ cdp_squish('first_name') }} as first_name,
        {{ cdp_squish('last_name') }} as last_name,
        cast({{ cdp_trim('birth_date') }} as date) as birth_date,

        -- contact points
        {{ cdp_normalize_email('email') }} as email,
        {{ cdp_trim('phone') }} as phone_raw,
        {{ cdp_squish('street') }} as street,
        {{ cdp_squish('city') }} as city,
        {{ cdp_normalize_postal_code('postal_code') }} as postal_code,
        {{ cdp_postal_code_key('postal_code') }} as postal_code_normalized,
        upper({{ cdp_trim('country') }}) as country,

        -- consents
        {{ cdp_parse_boolean('email_opt_in') }} as has_email_opt_in,
        {{ cdp_parse_boolean('sms_opt_in') }} as has_sms_opt_in,

        -- timestamps (UTC)
        {{ cdp_to_utc('created_at') }} as created_at,
        {{ cdp_to_utc('updated_at') }} as updated_at,

        -- load metadata
        _source_file,
        _source_line,
        _load_id,
        {{ cdp_timestamptz_to_utc('_loaded_at') }} as _loaded_at

    from source

),

-- Phone numbers are read with the contact's own country, else the project default.
phone_normalized as (

    {{ cdp_with_e164_phone('renamed', 'phone_raw', 'renamed.country') }}

),

final as (

    select
        contact_id,
        loyalty_id,

        {{ cdp_display_name('first_name') }} as first_name,
        {{ cdp_display_name('last_name') }} as last_name,
        {{ cdp_name_key('first_name') }} as first_name_normalized,
        {{ cdp_name_key('last_name') }} as last_name_normalized,
        birth_date,

        email,
        {{ cdp_is_valid_email('email') }} as is_valid_email,
        phone_raw,
        phone,
        case when phone_raw is not null then phone is not null end as is_valid_phone,
        street,
        city,
        postal_code,
        postal_code_normalized,
        country,

        has_email_opt_in,
        has_sms_opt_in,

        created_at,
        updated_at,

        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from phone_normalized

)

select * from final
