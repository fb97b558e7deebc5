-- One row per customer: the unified profile analysts query. Golden-record attributes follow the
-- survivorship rules in docs/identity_resolution.md: take the value from the highest-priority
-- source that has one (CRM > web > POS for names, birth date and address; CRM > POS > web for
-- phone, e-mail and loyalty id); within that source the most frequent value, then the most
-- recent. Only identifiers used for linking become golden e-mail, phone or loyalty id.
-- Customers with no known identifier (anonymous visitors who never identified, till sales with
-- nothing to go on) are kept as their own profiles with is_known = false.

-- Incremental: a nightly run rewrites the profiles of the customers that may have changed since
-- the last build (`touched`), not all of them. A profile is a function of the customer's records
-- (which, their content and when seen), the nodes the graph gives the customer, its usable
-- identifiers and its consent; since the last build these change only for
--   * the customers of the rows customer_records wrote since (a record new, moved, seen at
--     another time or rebuilt), and the customers those rows replaced (`_previous_customer_id`);
--   * the old and new customers of a node that moved or is new (the assignment compares every
--     node with the registry's memory of the run that built this table), and the customer of a
--     node that is gone (an identifier now excluded; the registry is rewritten after this model);
--   * the customers whose consent customer_consent rewrote since;
-- and the profiles of customers that are gone (merged into another) are deleted (a pre-hook).
-- On day 366 of a year at 100,000 people that is 17,373 of 1.44 million profiles. A run that
-- processes an erasure request, or that finds the registry remembering another run than this
-- table's last build, rebuilds every profile. `_built_at`: the release patches its copy with the
-- rows of builds it has not seen (publishing/release.py).

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{%- set last_build = cdp_build_to_update(same_registry_run=true) %}
{%- set changed_only = last_build is not none %}

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

with

all_records as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_records') }}

),

assignment as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__customer_assignment') }}

),

-- per channel: the latest statement across sources (marts/metrics/customer_consent.sql)
consent as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_consent') }}

),
{%- if changed_only %}

touched as (

    {{ cdp_customers_of_records_rewritten_since(last_build[3]) }}

    union

    select customer_id from assignment
    where previous_customer_id is null or previous_customer_id <> customer_id

    union

    select previous_customer_id from assignment
    where previous_customer_id <> customer_id

    union

    select previous.customer_id
    from {{ cdp_registry_table('customer_id_assignments') }} as previous
    left join assignment on assignment.node_key = previous.node_key
    where assignment.node_key is null

    union

    -- consent rewritten since (marts/metrics/customer_consent.sql)
    select customer_id from consent
    where _built_at > cast('{{ last_build[3] }}' as {{ dbt.type_timestamp() }})

),
{%- endif %}

-- the records, nodes and usable identifiers the profiles are made of: all, or the touched
-- customers' (planning these joins as written, cdp_join_planning.sql, made no difference: 2.36
-- against 2.50 s, medians of four and five runs of the nightly query on day 366)
records as {% if not changed_only %}{{ cdp_not_materialized() }}{% endif %} (

    {{ cdp_rows_of_touched_customers('all_records', changed_only) }}

),

nodes as (

    {{ cdp_rows_of_touched_customers('assignment', changed_only) }}

),

contacts as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_crm__contacts_latest') }}

),

events as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_web__events_deduplicated') }}

),

transactions as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_pos__transactions_deduplicated') }}

),

identifiers as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_identifiers') }}
    where used_for_linking

),

usable_identifiers as (

    {{ cdp_rows_of_touched_customers('identifiers', changed_only) }}

),

-- Each source's records joined to their customer once, keeping the records that offer an
-- attribute; the values are unpivoted below. (One join per attribute scanned every customer
-- record fourteen times.)
crm_values as (

    select records.customer_id, contacts.updated_at as observed_at,
           contacts.first_name, contacts.last_name, cast(contacts.birth_date as {{ dbt.type_string() }}) as birth_date,
           contacts.street, contacts.city, contacts.postal_code, contacts.country
    from contacts inner join records on records.source = 'crm' and records.record_key = contacts.contact_id

),

web_values as (

    select records.customer_id, events.event_at as observed_at,
           events.first_name, events.last_name, events.postal_code,
           -- a country is a person's attribute only on identify calls (others: the locale's region)
           case when events.event_type = 'identify' then events.country end as country
    from events inner join records on records.source = 'web' and records.record_key = events.message_id
    where events.first_name is not null or events.last_name is not null or events.postal_code is not null
        or (events.event_type = 'identify' and events.country is not null)

),

pos_values as (

    select records.customer_id, transactions.transaction_at as observed_at,
           transactions.first_name, transactions.last_name, transactions.postal_code
    from transactions inner join records on records.source = 'pos' and records.record_key = transactions.transaction_id
    where transactions.first_name is not null or transactions.last_name is not null or transactions.postal_code is not null

),

-- every attribute value every record offers, with its source's priority for that attribute
attribute_values as (

    {%- set source_attributes = [
        ('crm_values', 1, ['first_name', 'last_name', 'birth_date', 'street', 'city', 'postal_code', 'country']),
        ('web_values', 2, ['first_name', 'last_name', 'postal_code', 'country']),
        ('pos_values', 3, ['first_name', 'last_name', 'postal_code']),
    ] %}
    {%- for relation, priority, attributes in source_attributes %}
    {%- for attribute in attributes %}
    {% if not loop.first or relation != 'crm_values' %}union all{% endif %}
    select customer_id, '{{ attribute }}' as attribute, {{ attribute }} as value, {{ priority }} as priority, observed_at
    from {{ relation }}
    {%- endfor %}
    {%- endfor %}
    union all
    select customer_id, identifier_type, identifier_value,
           case source when 'crm' then 1 when 'pos' then 2 else 3 end, last_seen_at
    from usable_identifiers
    where identifier_type in ('email', 'phone', 'loyalty_id')

),

-- how often, and how lately, each customer's records offer each value of an attribute
value_counts as (

    select
        customer_id,
        attribute,
        value,
        priority,
        count(*) as observations,
        -- most recent first, undated last: microseconds before the epoch, in ascending order
        coalesce(
            {{ dbt.datediff('max(observed_at)', "cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")", 'microsecond') }},
            9223372036854775807
        ) as recency_rank

    from attribute_values
    where value is not null
    group by customer_id, attribute, value, priority

),

-- per attribute, the value from the highest-priority source, then the most frequent, then the
-- most recent, then the first in order: one aggregate over every customer's values, where a
-- row_number() window sorted them all and a second aggregate pivoted the winners
golden as (

    select
        customer_id,
        {%- for attribute in ['first_name', 'last_name', 'email', 'phone', 'street', 'city', 'postal_code', 'country', 'birth_date', 'loyalty_id'] %}
        {{ cdp_arg_min('value', ['priority', '-observations', 'recency_rank', 'value'], "attribute = '" ~ attribute ~ "'") }} as {{ attribute }}{{ ',' if not loop.last }}
        {%- endfor %}
    from value_counts
    group by customer_id

),

activity as (

    select
        customer_id,
        min(observed_at) as first_seen_at,
        max(observed_at) as last_seen_at,
        count(case when source = 'crm' then 1 end) as crm_contacts,
        count(case when source = 'web' then 1 end) as web_events,
        count(case when source = 'pos' then 1 end) as pos_transactions

    from records
    group by customer_id

),

graph as (

    select
        customer_id,
        count(case when node_key not like 'record:%' then 1 end) as identifiers,
        max(case when split_part(node_key, ':', 1) in ('crm_contact_id', 'email', 'phone', 'loyalty_id', 'user_id') then 1 else 0 end) = 1 as is_known

    from nodes
    group by customer_id

),

final as (

    select
        activity.customer_id,
        graph.is_known,
        golden.first_name,
        golden.last_name,
        golden.email,
        golden.phone,
        golden.street,
        golden.city,
        golden.postal_code,
        golden.country,
        cast(golden.birth_date as date) as birth_date,
        golden.loyalty_id,
        activity.first_seen_at,
        activity.last_seen_at,
        trim({{ dbt.concat([
            "case when activity.crm_contacts > 0 then 'crm ' else '' end",
            "case when activity.web_events > 0 then 'web ' else '' end",
            "case when activity.pos_transactions > 0 then 'pos' else '' end",
        ]) }}) as sources,
        activity.crm_contacts,
        activity.web_events,
        activity.pos_transactions,
        graph.identifiers,
        {%- for channel in ['email', 'sms', 'ads'] %}
        consent.{{ channel }}_consent,
        consent.{{ channel }}_consent_source,
        consent.{{ channel }}_consent_at,
        {%- endfor %}
        {{ cdp_build_time() }} as _built_at

    from activity
    inner join graph on graph.customer_id = activity.customer_id
    left join golden on golden.customer_id = activity.customer_id
    left join consent on consent.customer_id = activity.customer_id

)

select * from final
