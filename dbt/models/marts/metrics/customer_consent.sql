-- Marketing consent per customer and channel (email, sms, ads): the latest statement made by or
-- for any of the customer's records, across sources, up to the as-of time. Statements:
--   crm  the e-mail and SMS opt-ins of each contact's latest version, stated at its updated_at;
--   web  `Consent Updated` track calls (properties email / sms / ads, each optional) and Segment's
--        `Segment Consent Preference Updated` calls (context.consent.categoryPreferences, the
--        advertising category gives ads); see docs/data_contracts.md.
-- No statement = not consented (false), with a null source and time.

-- Incremental: a nightly run rewrites the consent of the customers whose statements may have
-- changed since the last build: the customers of the rows customer_records wrote since (a record
-- new, moved, seen at another time or rebuilt) and those these rows replaced
-- (`_previous_customer_id`), and the customers of the statements the moved as-of time lets in:
-- stated after the as-of time of the last build (`_as_of_at`, the newest on any row, read once
-- when the model is rendered) and up to this one. An as-of time earlier than the last build's (var metrics_as_of set back) rewrites
-- every row. The rows of customers that are gone are deleted (a pre-hook). A run that processes
-- an erasure request, or that finds the registry remembering another run than this table's last
-- build, rebuilds every row.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{%- set last_build = cdp_build_to_update(same_registry_run=true) %}
{%- set changed_only = last_build is not none %}
{%- if changed_only %}
{%- set as_of_times = run_query(
    "select (select max(_as_of_at) from " ~ this ~ "), (select as_of_at from " ~ ref('metrics_as_of') ~ ")"
).rows[0] %}
{%- set held_as_of = as_of_times[0] %}
{%- set as_of_moved_on = held_as_of is not none and as_of_times[1] is not none and held_as_of <= as_of_times[1] %}
{%- endif %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='customer_id',
    pre_hook=[
        "{{ cdp_empty_unless_updating(same_registry_run=true) }}",
        "{{ cdp_forget_vanished_rows('customer_id', ref('int_identity__customer_assignment')) }}",
    ],
    post_hook=[
        "{{ cdp_forget_incremental_build() }}",
        "{{ cdp_record_incremental_build(cdp_record_sources().values() | map('first') | list) }}",
    ],
) }}

{%- set channels = ['email', 'sms', 'ads'] %}

with

as_of as (

    select * from {{ ref('metrics_as_of') }}

),

all_records as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_records') }}

),

crm_contacts as (

    select * from {{ ref('int_crm__contacts_latest') }}

),

web_events as (

    select * from {{ ref('int_web__events_deduplicated') }}
    where event_type = 'track'
      and event_name in ('Consent Updated', 'Segment Consent Preference Updated')

),

crm_statements as (

    {%- for channel in ['email', 'sms'] %}
    select
        contact_id as record_key,
        'crm' as source,
        '{{ channel }}' as channel,
        has_{{ channel }}_opt_in as is_consented,
        updated_at as stated_at
    from crm_contacts
    where has_{{ channel }}_opt_in is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

consent_updated as (

    select * from web_events
    where event_name = 'Consent Updated'

),

segment_preferences as (

    select
        web_events.message_id,
        web_events.event_at,
        {{ cdp_json_string('web_events.consent_preferences', '$.' ~ var('web_consent_advertising_category')) }} as advertising_preference

    from web_events
    where web_events.event_name = 'Segment Consent Preference Updated'

),

web_statements as (

    {%- for channel in channels %}
    select
        message_id as record_key,
        'web' as source,
        '{{ channel }}' as channel,
        {{ cdp_parse_boolean(cdp_json_string('properties', '$.' ~ channel)) }} as is_consented,
        event_at as stated_at
    from consent_updated
    union all
    {%- endfor %}
    select
        message_id as record_key,
        'web' as source,
        'ads' as channel,
        {{ cdp_parse_boolean('advertising_preference') }} as is_consented,
        event_at as stated_at
    from segment_preferences

),

all_statements as (

    select * from crm_statements
    union all
    select * from web_statements

),
{%- if changed_only %}

touched as (
    {%- if not as_of_moved_on %}

    select customer_id from all_records
    {%- else %}

    {{ cdp_customers_of_records_rewritten_since(last_build[3]) }}

    union

    -- statements made after the last build's as-of time and up to this one's
    select all_records.customer_id
    from all_records
    inner join all_statements
        on all_statements.source = all_records.source
        and all_statements.record_key = all_records.record_key
    cross join as_of
    where all_statements.stated_at > cast('{{ held_as_of }}' as {{ dbt.type_timestamp() }})
        and all_statements.stated_at <= as_of.as_of_at
    {%- endif %}

),
{%- endif %}

-- the customers (every customer has at least one record: marts.customers joins this table, so it
-- cannot be read here) and their records: all, or the touched customers'
customer_records as {% if not changed_only %}{{ cdp_not_materialized() }}{% endif %} (

    {{ cdp_rows_of_touched_customers('all_records', changed_only) }}

),

customers as (

    select distinct customer_id from customer_records

),

statements as (

    select
        customer_records.customer_id,
        all_statements.channel,
        all_statements.is_consented,
        all_statements.source,
        all_statements.record_key,
        all_statements.stated_at

    from all_statements
    inner join customer_records
        on customer_records.source = all_statements.source
        and customer_records.record_key = all_statements.record_key
    cross join as_of
    where all_statements.is_consented is not null
      and all_statements.stated_at <= as_of.as_of_at

),

-- Latest statement wins; at the very same instant the web (the customer's own click) beats
-- the CRM, then the larger record key, so the choice never depends on row order.
ranked as (

    select
        *,
        row_number() over (
            partition by customer_id, channel
            order by stated_at desc, case when source = 'web' then 0 else 1 end, record_key desc
        ) as statement_rank

    from statements

),

latest as (

    select * from ranked
    where statement_rank = 1

),

final as (

    select
        customers.customer_id,
        {%- for channel in channels %}
        coalesce({{ channel }}.is_consented, false) as {{ channel }}_consent,
        {{ channel }}.source as {{ channel }}_consent_source,
        {{ channel }}.stated_at as {{ channel }}_consent_at,
        {{ channel }}.record_key as {{ channel }}_consent_record_key,
        {%- endfor %}
        -- bookkeeping, not published: the as-of time this row was computed at, and when
        as_of.as_of_at as _as_of_at,
        {{ cdp_build_time() }} as _built_at

    from customers
    cross join as_of
    {%- for channel in channels %}
    left join latest as {{ channel }}
        on {{ channel }}.customer_id = customers.customer_id
        and {{ channel }}.channel = '{{ channel }}'
    {%- endfor %}

)

select * from final
