-- Every identifier every deduplicated source record carries: one row per (record, identifier).
-- A well-formed value is stored as its graph node ("<type>:<value>", node_key) only, the value
-- itself being the key's tail (cdp_identifier_value). Malformed values (an e-mail without "@", a
-- phone that cannot be read as E.164) have no node: they are kept as the record carried them
-- (raw_value) and flagged, so they are counted and never used for linking, and no record is
-- dropped. Storing the value once, not as node, value and raw value, took writing this table
-- from 10.3 to 7.6 s at 1,000,000 people (docs/performance.md).
-- Web events are taken by group (int_identity__web_event_groups): one row per group and
-- identifier, keyed by the group's earliest event, with records = the events in the group and
-- observed_at / last_observed_at their first and last event time. A CRM contact or a till sale
-- is a group of one.
--
-- Incremental: every row depends on one record only, so a nightly run rebuilds the records whose
-- contact, transaction or web group was rebuilt since this model last ran (their `_loaded_at`,
-- cdp_record_rebuilt): the pre-hook deletes their rows, the select appends their current ones.
-- Reading only the regrouped groups' events, not all of them, is most of the saving (a year of
-- web events at 100,000 people: 11.5 million). A run that processes an erasure request rebuilds
-- the model.

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook=["{{ cdp_rebuild_on_erasure() }}", "{{ cdp_forget_rebuilt_records() }}"],
) }}

with

contacts as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_crm__contacts_latest') }}
    where {{ cdp_record_rebuilt('crm') }}

),

transactions as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_pos__transactions_deduplicated') }}
    where {{ cdp_record_rebuilt('pos') }}

),

-- each group's earliest event, the group's size, time span and when it was formed
event_groups as {{ cdp_not_materialized() }} (

    select message_id, group_events, group_last_event_at, _loaded_at
    from {{ ref('int_identity__web_event_groups') }}
    where group_key = message_id and {{ cdp_record_rebuilt('web') }}

),

events as (

    select events.message_id, events.event_at, events.event_type, events.anonymous_id, events.user_id,
           events.previous_id, events.email, events.is_valid_email, events.phone_raw, events.phone,
           events.first_name_normalized,
           event_groups.group_events, event_groups.group_last_event_at, event_groups._loaded_at
    from {{ ref('int_web__events_deduplicated') }} as events
    inner join event_groups
        on event_groups.message_id = events.message_id

),

crm_identifiers as (

    select 'crm' as source, contact_id as record_key, updated_at as observed_at,
           updated_at as last_observed_at, 1 as records, first_name_normalized, _loaded_at,
           'crm_contact_id' as identifier_type, contact_id as identifier_value, contact_id as raw_value
    from contacts
    union all
    select 'crm', contact_id, updated_at, updated_at, 1, first_name_normalized, _loaded_at,
           'email', case when is_valid_email then email end, email
    from contacts where email is not null
    union all
    select 'crm', contact_id, updated_at, updated_at, 1, first_name_normalized, _loaded_at, 'phone', phone, phone_raw
    from contacts where phone_raw is not null
    union all
    select 'crm', contact_id, updated_at, updated_at, 1, first_name_normalized, _loaded_at, 'loyalty_id', loyalty_id, loyalty_id
    from contacts where loyalty_id is not null

),

pos_identifiers as (

    select 'pos' as source, transaction_id as record_key, transaction_at as observed_at,
           transaction_at as last_observed_at, 1 as records, first_name_normalized, _loaded_at,
           'email' as identifier_type, case when is_valid_email then email end as identifier_value, email as raw_value
    from transactions where email is not null
    union all
    select 'pos', transaction_id, transaction_at, transaction_at, 1, first_name_normalized, _loaded_at, 'phone', phone, phone_raw
    from transactions where phone_raw is not null
    union all
    select 'pos', transaction_id, transaction_at, transaction_at, 1, first_name_normalized, _loaded_at, 'loyalty_id', loyalty_id, loyalty_id
    from transactions where loyalty_id is not null

),

-- one pass over the events, each crossed with the identifiers a web event can carry: read once
-- (not once per identifier, from a materialized copy), the events are joined to the few regrouped
-- groups where DuckDB can filter the staged events by them, before the deduplication view's join
-- (a year at 100,000 people: 0.5 s against 3.2 s on a nightly run, 3.7 s against 4.3 s in full).
-- alias: previousId is the id the user was known by before, in practice the event's own
-- anonymousId, which is listed once: a record carries each identifier once, so counts of the
-- records carrying a value are right and int_identity__record_nodes need not deduplicate
web_identifiers as (

    select 'web' as source, message_id as record_key, event_at as observed_at,
           group_last_event_at as last_observed_at, group_events as records, first_name_normalized, _loaded_at,
           carried.identifier_type,
           case carried.field
               when 'anonymous_id' then anonymous_id
               when 'user_id' then user_id
               when 'previous_id' then previous_id
               when 'email' then case when is_valid_email then email end
               when 'phone' then phone
           end as identifier_value,
           case carried.field
               when 'anonymous_id' then anonymous_id
               when 'user_id' then user_id
               when 'previous_id' then previous_id
               when 'email' then email
               when 'phone' then phone_raw
           end as raw_value
    from events
    cross join (
        values ('anonymous_id', 'anonymous_id'), ('user_id', 'user_id'), ('anonymous_id', 'previous_id'),
               ('email', 'email'), ('phone', 'phone')
    ) as carried (identifier_type, field)
    where case carried.field
        when 'anonymous_id' then anonymous_id is not null
        when 'user_id' then user_id is not null
        when 'previous_id' then previous_id is not null and event_type = 'alias' and coalesce(previous_id <> anonymous_id, true)
        when 'email' then email is not null
        when 'phone' then phone_raw is not null
    end

),

unioned as (

    select * from crm_identifiers
    union all
    select * from pos_identifiers
    union all
    select * from web_identifiers

),

final as (

    select
        source,
        record_key,
        observed_at,
        last_observed_at,
        records,
        first_name_normalized,
        identifier_type,
        case when identifier_value is null then raw_value end as raw_value,
        identifier_value is null as is_malformed,
        case when identifier_value is not null
            then {{ dbt.concat(['identifier_type', "':'", 'identifier_value']) }}
        end as node_key,
        -- when the record was (re)built: a nightly run looks at the records rebuilt after this
        _loaded_at

    from unioned

)

select * from final
