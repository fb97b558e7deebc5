-- Every identifier value that is not used for linking, with the reason. One row per value and
-- reason (a value can be excluded for several). Kinds:
--   malformed    cannot be read (e-mail without a valid shape, phone not readable as E.164)
--   blocklisted  matches seeds/identity_blocklist.csv
--   shared       seen with more distinct values of another type than seeds/identity_sharing_limits.csv allows
--
-- The blocklist is read when the model is compiled and its rows become literal conditions: a
-- regular expression taken from a column is compiled again for every value it is tried on
-- (at 1,000,000 people, 26 s against a fraction of a second for the same patterns as literals).

{%- set blocklist_relation = ref('identity_blocklist') %}
{%- set blocklist_rows = [] %}
{%- if execute %}
    {%- set blocklist_rows = run_query(
        'select identifier_type, match_type, value, reason from ' ~ blocklist_relation
        ~ ' order by reason, identifier_type, match_type, value'
    ).rows %}
{%- endif %}

with

-- read by several CTEs below, so only the columns they use
identifiers as {{ cdp_not_materialized() }} (

    select source, record_key, records, first_name_normalized, identifier_type, raw_value,
           is_malformed, node_key
    from {{ ref('int_identity__record_identifiers') }}

),

limits as (

    select * from {{ ref('identity_sharing_limits') }}

),

malformed as (

    select
        identifier_type,
        raw_value as identifier_value,
        cast(null as {{ dbt.type_string() }}) as node_key,
        'malformed' as exclusion,
        case identifier_type
            when 'email' then 'not a valid e-mail address'
            when 'phone' then 'cannot be read as an E.164 phone number'
            else 'unreadable value'
        end as reason,
        cast(sum(records) as {{ dbt.type_bigint() }}) as records

    from identifiers
    where is_malformed
    group by 1, 2, 3, 4, 5

),

-- one row per well-formed value, with the records carrying it
values_in_use as (

    select * from {{ ref('int_identity__identifier_nodes') }}

),

-- the first matching row in reason order, so a value blocked by several rows gets the first reason
blocklist_reasons as (

    select
        identifier_type,
        identifier_value,
        node_key,
        {%- if blocklist_rows | length == 0 %}
        cast(null as {{ dbt.type_string() }}) as reason,
        {%- else %}
        case
            {%- for row in blocklist_rows %}
            when identifier_type = {{ cdp_sql_string(row['identifier_type']) }} and
                {%- if row['match_type'] == 'exact' %} identifier_value = {{ cdp_sql_string(row['value']) }}
                {%- elif row['match_type'] == 'pattern' %} {{ cdp_regexp_matches('identifier_value', row['value']) }}
                {%- else %}{{ exceptions.raise_compiler_error("identity_blocklist: match_type must be 'exact' or 'pattern', not '" ~ row['match_type'] ~ "' (value " ~ row['value'] ~ ")") }}
                {%- endif %}
                then {{ cdp_sql_string(row['reason']) }}
            {%- endfor %}
        end as reason,
        {%- endif %}
        records

    from values_in_use

),

blocklisted as (

    select identifier_type, identifier_value, node_key, 'blocklisted' as exclusion, reason, records
    from blocklist_reasons
    where reason is not null

),

-- what each limited identifier was seen with, in the same source record (the other identifier's
-- node key stands for its value: they are counted within one type)
limited as {{ cdp_not_materialized() }} (

    select identifiers.*
    from identifiers
    where not is_malformed
        and identifier_type in (select identifier_type from limits)

),

seen_with as (

    select limited.identifier_type, limited.node_key,
           other.identifier_type as linked_type, other.node_key as linked_value
    from limited
    inner join identifiers as other
        on other.source = limited.source
        and other.record_key = limited.record_key
        and other.identifier_type <> limited.identifier_type
        and not other.is_malformed
    where other.identifier_type in (select linked_type from limits)

),

-- First names count once per spelling: a name counts as another person's only when it is not a
-- variant (Jaro-Winkler below identity_name_variant_threshold) of the identifier's most frequent
-- first name, so a typo on one record does not make a person's own phone look shared.
first_names as (

    select min(identifier_type) as identifier_type, node_key, first_name_normalized,
           cast(sum(records) as {{ dbt.type_bigint() }}) as records
    from limited
    where first_name_normalized is not null
    group by node_key, first_name_normalized

),

usual_first_names as (

    select node_key, first_name_normalized as usual_first_name
    from (
        select
            node_key,
            first_name_normalized,
            row_number() over (partition by node_key order by records desc, first_name_normalized) as name_rank
        from first_names
    ) as ranked
    where name_rank = 1

),

first_name_seen_with as (

    select first_names.identifier_type, first_names.node_key,
           'first_name' as linked_type,
           case
               when {{ cdp_name_similarity('first_names.first_name_normalized', 'usual_first_names.usual_first_name') }}
                    >= {{ var('identity_name_variant_threshold') }}
                   then usual_first_names.usual_first_name
               else first_names.first_name_normalized
           end as linked_value
    from first_names
    inner join usual_first_names on usual_first_names.node_key = first_names.node_key

),

all_seen_with as (

    select * from seen_with
    union all
    select * from first_name_seen_with

),

-- the identifiers seen with too many distinct values, counted before anything else is joined:
-- a few dozen of the millions of (identifier, linked value) pairs
over_limit as (

    select
        seen_with.node_key,
        limits.linked_type,
        limits.max_distinct,
        limits.reason,
        count(distinct seen_with.linked_value) as distinct_values

    from all_seen_with as seen_with
    inner join limits
        on limits.identifier_type = seen_with.identifier_type
        and limits.linked_type = seen_with.linked_type
    group by seen_with.node_key, limits.linked_type, limits.max_distinct, limits.reason
    having count(distinct seen_with.linked_value) > limits.max_distinct

),

shared as (

    select
        values_in_use.identifier_type,
        values_in_use.identifier_value,
        over_limit.node_key,
        'shared' as exclusion,
        {{ dbt.concat([
            "'seen with '", "cast(over_limit.distinct_values as " ~ dbt.type_string() ~ ")",
            "' distinct '", "over_limit.linked_type", "' values (limit '",
            "cast(over_limit.max_distinct as " ~ dbt.type_string() ~ ")", "'): '", "over_limit.reason"
        ]) }} as reason,
        values_in_use.records

    from over_limit
    -- one row per node: node_key is '<type>:<value>'
    inner join values_in_use on values_in_use.node_key = over_limit.node_key

),

final as (

    select * from malformed
    union all
    select * from blocklisted
    union all
    select * from shared

)

select * from final
