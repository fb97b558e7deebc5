-- One row per customer: the unified profile analysts query. Golden-record attributes follow the
-- survivorship rules in docs/identity_resolution.md: take the value from the highest-priority
-- source that has one (CRM > web > POS for names, birth date and address; CRM > POS > web for
-- phone, e-mail and loyalty id); within that source the most frequent value, then the most
-- recent. Only identifiers used for linking become golden e-mail, phone or loyalty id.
-- Customers with no known identifier (anonymous visitors who never identified, till sales with
-- nothing to go on) are kept as their own profiles with is_known = false.

with

records as {{ cdp_not_materialized() }} (

    select * from {{ ref('customer_records') }}

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

usable_identifiers as (

    select * from {{ ref('customer_identifiers') }}
    where used_for_linking

),

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

-- per channel: the latest statement across sources (marts/metrics/customer_consent.sql)
consent as (

    select * from {{ ref('customer_consent') }}

),

-- every attribute value every record offers, with its source's priority for that attribute
attribute_values as (

    {%- set person_attributes = [
        ('first_name', 'first_name'), ('last_name', 'last_name'), ('birth_date', 'cast(birth_date as ' ~ dbt.type_string() ~ ')'),
        ('street', 'street'), ('city', 'city'), ('postal_code', 'postal_code'), ('country', 'country'),
    ] %}
    {%- for attribute, expression in person_attributes %}
    {% if not loop.first %}union all{% endif %}
    select records.customer_id, '{{ attribute }}' as attribute, {{ expression }} as value, 1 as priority, contacts.updated_at as observed_at
    from contacts inner join records on records.source = 'crm' and records.record_key = contacts.contact_id
    {%- endfor %}
    {%- for attribute in ['first_name', 'last_name', 'postal_code', 'country'] %}
    union all
    select records.customer_id, '{{ attribute }}', {{ attribute }}, 2, events.event_at
    from events inner join records on records.source = 'web' and records.record_key = events.message_id
    where events.event_type = 'identify' or '{{ attribute }}' <> 'country'
    {%- endfor %}
    {%- for attribute in ['first_name', 'last_name', 'postal_code'] %}
    union all
    select records.customer_id, '{{ attribute }}', {{ attribute }}, 3, transactions.transaction_at
    from transactions inner join records on records.source = 'pos' and records.record_key = transactions.transaction_id
    {%- endfor %}
    union all
    select customer_id, identifier_type, identifier_value,
           case source when 'crm' then 1 when 'pos' then 2 else 3 end, last_seen_at
    from usable_identifiers
    where identifier_type in ('email', 'phone', 'loyalty_id')

),

ranked_values as (

    select
        customer_id,
        attribute,
        value,
        row_number() over (
            partition by customer_id, attribute
            order by priority, count(*) desc, max(observed_at) desc, value
        ) as value_rank

    from attribute_values
    where value is not null
    group by customer_id, attribute, value, priority

),

golden as (

    select
        customer_id,
        {%- for attribute in ['first_name', 'last_name', 'email', 'phone', 'street', 'city', 'postal_code', 'country', 'birth_date', 'loyalty_id'] %}
        max(case when attribute = '{{ attribute }}' then value end) as {{ attribute }}{{ ',' if not loop.last }}
        {%- endfor %}
    from ranked_values
    where value_rank = 1
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

    from assignment
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
        consent.{{ channel }}_consent_at{{ ',' if not loop.last }}
        {%- endfor %}

    from activity
    inner join graph on graph.customer_id = activity.customer_id
    left join golden on golden.customer_id = activity.customer_id
    left join consent on consent.customer_id = activity.customer_id

)

select * from final
