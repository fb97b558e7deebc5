-- Every well-formed identifier value any record carries: one row per identifier node
-- ("<type>:<value>"), with how many source records carry it. Excluded or not:
-- int_identity__excluded_identifiers picks the blocklisted and shared ones from these rows, and
-- int_identity__provisional_components numbers the graph's nodes from them (with the records'
-- own nodes) instead of deduplicating the 8.5 million rows of int_identity__record_nodes at
-- 1,000,000 people.

with

identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}
    where not is_malformed

),

-- grouped by node_key alone (it is "<type>:<value>", so min() is its only type): one string
-- hashed per row, not two
grouped as (

    select
        min(identifier_type) as identifier_type,
        node_key,
        cast(sum(records) as {{ dbt.type_bigint() }}) as records

    from identifiers
    group by node_key

),

final as (

    select
        identifier_type,
        {{ cdp_identifier_value('node_key', 'identifier_type') }} as identifier_value,
        node_key,
        records

    from grouped

)

select * from final
