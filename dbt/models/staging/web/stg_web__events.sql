with

source as (

    select * from {{ source('raw', 'web_events') }}

),

extracted as (

    select
        -- ids
        {{ cdp_trim(cdp_json_string('payload', '$.messageId')) }} as message_id,
        {{ cdp_trim(cdp_json_string('payload', '$.anonymousId')) }} as anonymous_id,
        {{ cdp_trim(cdp_json_string('payload', '$.userId')) }} as user_id,
        {{ cdp_trim(cdp_json_string('payload', '$.previousId')) }} as previous_id,
        {{ cdp_trim(cdp_json_string('payload', '$.groupId')) }} as group_id,

        -- what happened
        lower({{ cdp_trim(cdp_json_string('payload', '$.type')) }}) as event_type,
        {{ cdp_squish(cdp_json_string('payload', '$.event')) }} as track_event,
        {{ cdp_squish(cdp_json_string('payload', '$.name')) }} as screen_or_page_name,
        {{ cdp_json_extract('payload', '$.properties') }} as properties,
        {{ cdp_json_extract('payload', '$.context.consent.categoryPreferences') }} as consent_preferences,

        -- who: identify carries user traits at the top level; every other call (group's
        -- top-level traits describe the group, not the user) in context.traits
        {{ cdp_json_extract('payload', '$.traits') }} as top_level_traits,
        {{ cdp_json_extract('payload', '$.context.traits') }} as context_traits,

        -- context
        {{ cdp_trim(cdp_json_string('payload', '$.context.ip')) }} as ip_address,
        {{ cdp_trim(cdp_json_string('payload', '$.context.userAgent')) }} as user_agent,
        {{ cdp_trim(cdp_json_string('payload', '$.context.locale')) }} as locale,
        {{ cdp_trim(cdp_json_string('payload', '$.context.page.url')) }} as context_page_url,
        {{ cdp_trim(cdp_json_string('payload', '$.context.page.path')) }} as context_page_path,
        {{ cdp_trim(cdp_json_string('payload', '$.context.page.referrer')) }} as context_page_referrer,
        {{ cdp_trim(cdp_json_string('payload', '$.context.page.title')) }} as context_page_title,
        {{ cdp_trim(cdp_json_string('payload', '$.context.campaign.name')) }} as campaign_name,
        {{ cdp_trim(cdp_json_string('payload', '$.context.campaign.source')) }} as campaign_source,
        {{ cdp_trim(cdp_json_string('payload', '$.context.campaign.medium')) }} as campaign_medium,
        {{ cdp_trim(cdp_json_string('payload', '$.context.device.id')) }} as device_id,
        {{ cdp_trim(cdp_json_string('payload', '$.context.device.type')) }} as device_type,

        -- timestamps (UTC); only `timestamp` is validated by the extract
        {{ cdp_to_utc(cdp_json_string('payload', '$.timestamp')) }} as event_at,
        {{ cdp_to_utc(cdp_json_string('payload', '$.originalTimestamp'), safe=true) }} as original_event_at,
        {{ cdp_to_utc(cdp_json_string('payload', '$.sentAt'), safe=true) }} as sent_at,
        {{ cdp_to_utc(cdp_json_string('payload', '$.receivedAt'), safe=true) }} as received_at,

        -- load metadata
        _source_file,
        _source_line,
        _load_id,
        {{ cdp_timestamptz_to_utc('_loaded_at') }} as _loaded_at

    from source

),

renamed as (

    select
        message_id,
        event_type,
        case
            when event_type = 'track' then track_event
            when event_type in ('page', 'screen') then screen_or_page_name
        end as event_name,
        anonymous_id,
        user_id,
        previous_id,
        group_id,

        case
            when event_type = 'identify' then coalesce(top_level_traits, context_traits)
            else context_traits
        end as traits,
        properties,
        consent_preferences,

        ip_address,
        user_agent,
        locale,
        -- page calls also carry the page in properties (Segment page spec)
        case
            when event_type = 'page'
                then coalesce(context_page_url, {{ cdp_trim(cdp_json_string('properties', '$.url')) }})
            else context_page_url
        end as page_url,
        case
            when event_type = 'page'
                then coalesce(context_page_path, {{ cdp_trim(cdp_json_string('properties', '$.path')) }})
            else context_page_path
        end as page_path,
        case
            when event_type = 'page'
                then coalesce(context_page_referrer, {{ cdp_trim(cdp_json_string('properties', '$.referrer')) }})
            else context_page_referrer
        end as page_referrer,
        case
            when event_type = 'page'
                then coalesce(context_page_title, {{ cdp_trim(cdp_json_string('properties', '$.title')) }})
            else context_page_title
        end as page_title,
        campaign_name,
        campaign_source,
        campaign_medium,
        device_id,
        device_type,

        event_at,
        original_event_at,
        sent_at,
        received_at,

        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from extracted

),

traits_extracted as (

    select
        renamed.*,

        {{ cdp_normalize_email(cdp_json_string('traits', '$.email')) }} as email,
        {{ cdp_trim(cdp_json_string('traits', '$.phone')) }} as phone_raw,
        {{ cdp_squish(
            'coalesce(' ~ cdp_json_string('traits', '$.firstName') ~ ', '
            ~ cdp_json_string('traits', '$.first_name') ~ ')'
        ) }} as first_name,
        {{ cdp_squish(
            'coalesce(' ~ cdp_json_string('traits', '$.lastName') ~ ', '
            ~ cdp_json_string('traits', '$.last_name') ~ ')'
        ) }} as last_name,
        {%- set postal_code_trait -%}
            coalesce(
                {{ cdp_json_string('traits', '$.postalCode') }},
                {{ cdp_json_string('traits', '$.address.postalCode') }},
                {{ cdp_json_string('traits', '$.address.postal_code') }}
            )
        {%- endset %}
        {{ cdp_normalize_postal_code(postal_code_trait) }} as postal_code,
        {{ cdp_postal_code_key(postal_code_trait) }} as postal_code_normalized,
        -- the visitor's country: the address trait, else the region of the locale ("en-GB")
        upper(coalesce(
            {{ cdp_trim(cdp_json_string('traits', '$.address.country')) }},
            substr({{ cdp_regexp_extract('locale', '[-_][A-Za-z]{2}$') }}, 2)
        )) as country,

        -- e-commerce (Segment e-commerce spec: Order Completed and other order events)
        {{ cdp_trim(cdp_json_string('properties', '$.order_id')) }} as order_id,
        {{ dbt.safe_cast(cdp_trim(cdp_json_string('properties', '$.revenue')), 'decimal(18, 2)') }} as revenue,
        upper({{ cdp_trim(cdp_json_string('properties', '$.currency')) }}) as currency

    from renamed

),

-- National phone numbers are read with the visitor's country, else the project default
-- (var default_phone_country); without either only international forms are usable.
phone_normalized as (

    {{ cdp_with_e164_phone('traits_extracted', 'phone_raw', 'traits_extracted.country') }}

),

final as (

    select
        message_id,
        event_type,
        event_name,
        anonymous_id,
        user_id,
        previous_id,
        group_id,

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
        traits,

        order_id,
        revenue,
        currency,
        properties,
        consent_preferences,

        ip_address,
        user_agent,
        locale,
        page_url,
        page_path,
        page_referrer,
        page_title,
        campaign_name,
        campaign_source,
        campaign_medium,
        device_id,
        device_type,

        event_at,
        original_event_at,
        sent_at,
        received_at,

        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from phone_normalized

)

select * from final
