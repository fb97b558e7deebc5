{#- Every field is read from the payload in one pass per row (cdp_select_json_fields): a Segment
    event is a deep document, and parsing it once per field made this the slowest model.
    Traits are read both at the top level (identify) and under context.traits (every other
    call); the right one is chosen below.
    Only the fields the models downstream use are read. The rest of the payload (IP address,
    user agent, device, page URL, title and referrer, the device and sending clocks, the whole
    traits object) stays in raw.web_events as landed: copied into every staged and deduplicated
    row it was a quarter of the time spent writing them at 1,000,000 people, and the IP address,
    user agent and device id are personal data no model needs (data minimisation). Reading one
    of them again is a field here, a column in the YAML and a full refresh. -#}
{%- set trait_fields = {
    'email': 'email', 'phone': 'phone',
    'first_name_camel': 'firstName', 'first_name_snake': 'first_name',
    'last_name_camel': 'lastName', 'last_name_snake': 'last_name',
    'postal_code_flat': 'postalCode', 'postal_code_camel': 'address.postalCode',
    'postal_code_snake': 'address.postal_code', 'address_country': 'address.country',
} -%}
{%- set string_fields = {
    'message_id': '$.messageId', 'anonymous_id': '$.anonymousId', 'user_id': '$.userId',
    'previous_id': '$.previousId', 'group_id': '$.groupId',
    'call_type': '$.type', 'track_event': '$.event', 'screen_or_page_name': '$.name',
    'locale': '$.context.locale', 'context_page_path': '$.context.page.path',
    'campaign_name': '$.context.campaign.name', 'campaign_source': '$.context.campaign.source',
    'campaign_medium': '$.context.campaign.medium',
    'event_timestamp': '$.timestamp', 'received_timestamp': '$.receivedAt',
    'property_path': '$.properties.path',
    'property_order_id': '$.properties.order_id', 'property_revenue': '$.properties.revenue',
    'property_currency': '$.properties.currency',
} -%}
{%- for name, path in trait_fields.items() -%}
    {%- do string_fields.update({'top_trait_' ~ name: '$.traits.' ~ path, 'context_trait_' ~ name: '$.context.traits.' ~ path}) -%}
{%- endfor -%}
{%- set document_fields = {
    'properties': '$.properties', 'consent_preferences': '$.context.consent.categoryPreferences',
    'top_level_traits': '$.traits',
} -%}

{{ config(materialized='incremental', incremental_strategy='append') }}

with

source as (

    select * from {{ source('raw', 'web_events') }}
    -- incremental: the loads (landed files) not staged yet
    {{ cdp_unstaged_loads(source('raw', 'web_events')) }}

),

unpacked as (

    {{ cdp_select_json_fields('source', 'payload', string_fields, document_fields,
                              ['_source_file', '_source_line', '_load_id', '_loaded_at']) }}

),

extracted as (

    select
        -- ids
        {{ cdp_trim('message_id') }} as message_id,
        {{ cdp_trim('anonymous_id') }} as anonymous_id,
        {{ cdp_trim('user_id') }} as user_id,
        {{ cdp_trim('previous_id') }} as previous_id,
        {{ cdp_trim('group_id') }} as group_id,

        -- what happened
        lower({{ cdp_trim('call_type') }}) as event_type,
        {{ cdp_squish('track_event') }} as track_event,
        {{ cdp_squish('screen_or_page_name') }} as screen_or_page_name,
        properties,
        consent_preferences,

        -- who: identify carries user traits at the top level; every other call (group's
        -- top-level traits describe the group, not the user) in context.traits
        {%- for name in trait_fields %}
        case
            when lower({{ cdp_trim('call_type') }}) = 'identify' and top_level_traits is not null
                then top_trait_{{ name }}
            else context_trait_{{ name }}
        end as trait_{{ name }},
        {%- endfor %}

        -- context
        {{ cdp_trim('locale') }} as locale,
        {{ cdp_trim('context_page_path') }} as context_page_path,
        {{ cdp_trim('campaign_name') }} as campaign_name,
        {{ cdp_trim('campaign_source') }} as campaign_source,
        {{ cdp_trim('campaign_medium') }} as campaign_medium,
        property_path,
        property_order_id,
        property_revenue,
        property_currency,

        -- timestamps (UTC); only `timestamp` is validated by the extract
        {{ cdp_to_utc('event_timestamp') }} as event_at,
        {{ cdp_to_utc('received_timestamp', safe=true) }} as received_at,

        -- load metadata
        _source_file,
        _source_line,
        _load_id,
        {{ cdp_timestamptz_to_utc('_loaded_at') }} as _loaded_at

    from unpacked

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

        {%- for name in trait_fields %}
        trait_{{ name }},
        {%- endfor %}
        properties,
        consent_preferences,

        locale,
        -- page calls also carry the page in properties (Segment page spec)
        case
            when event_type = 'page' then coalesce(context_page_path, {{ cdp_trim('property_path') }})
            else context_page_path
        end as page_path,
        campaign_name,
        campaign_source,
        campaign_medium,
        property_order_id,
        property_revenue,
        property_currency,

        event_at,
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

        {{ cdp_normalize_email('trait_email') }} as email,
        {{ cdp_trim('trait_phone') }} as phone_raw,
        {{ cdp_squish('coalesce(trait_first_name_camel, trait_first_name_snake)') }} as first_name,
        {{ cdp_squish('coalesce(trait_last_name_camel, trait_last_name_snake)') }} as last_name,
        {%- set postal_code_trait = 'coalesce(trait_postal_code_flat, trait_postal_code_camel, trait_postal_code_snake)' %}
        {{ cdp_normalize_postal_code(postal_code_trait) }} as postal_code,
        {{ cdp_postal_code_key(postal_code_trait) }} as postal_code_normalized,
        -- the visitor's country: the address trait, else the region of the locale ("en-GB")
        upper(coalesce(
            {{ cdp_trim('trait_address_country') }},
            substr({{ cdp_regexp_extract('locale', '[-_][A-Za-z]{2}$') }}, 2)
        )) as country,

        -- e-commerce (Segment e-commerce spec: Order Completed and other order events)
        {{ cdp_trim('property_order_id') }} as order_id,
        {{ dbt.safe_cast(cdp_trim('property_revenue'), 'decimal(18, 2)') }} as revenue,
        upper({{ cdp_trim('property_currency') }}) as currency

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

        order_id,
        revenue,
        currency,
        properties,
        consent_preferences,

        locale,
        page_path,
        campaign_name,
        campaign_source,
        campaign_medium,

        event_at,
        received_at,

        _source_file,
        _source_line,
        _load_id,
        _loaded_at

    from phone_normalized

)

select * from final
