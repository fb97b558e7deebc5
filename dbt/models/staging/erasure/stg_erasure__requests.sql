-- Right-to-be-forgotten requests, one row per request: the e-mail and phone normalised exactly as
-- the sources' are, so they meet the identity graph's node keys.

with

source as (

    select * from {{ source('raw', 'erasure_requests') }}

),

renamed as (

    select
        {{ cdp_trim('request_id') }} as request_id,
        {{ cdp_normalize_email('email') }} as email,
        {{ cdp_trim('phone') }} as phone_raw,
        {{ cdp_trim('customer_id') }} as customer_id,
        {{ cdp_to_utc('requested_at') }} as requested_at,
        upper({{ cdp_trim('country') }}) as country,

        _source_file,
        _source_line,
        _load_id,
        {{ cdp_timestamptz_to_utc('_loaded_at') }} as _loaded_at

    from source

),

phone_normalized as (

    {{ cdp_with_e164_phone('renamed', 'phone_raw', 'renamed.country') }}

),

final as (

    select
        request_id,
        email,
        phone,
        phone_raw,
        customer_id,
        requested_at,
        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from phone_normalized

)

select * from final
