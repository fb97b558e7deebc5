{{ config(
    materialized='incremental', incremental_strategy='append', full_refresh=false,
    post_hook="{{ cdp_purge_erased_customers(this, ['customer_id', 'current_customer_id']) }}",
) }}
-- The registry's history of customer ids, appended every run and never rebuilt:
--   merge    customer_id was merged into current_customer_id (the oldest id survives)
--   split    part of customer_id (nodes of it, or records that relied on a node that is gone)
--            now forms another customer, current_customer_id
--   retired  every node of customer_id is gone (records erased, identifiers excluded)
-- reason explains the change from the links and exclusions that caused it.

with

assignment as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__customer_assignment') }}

),

previous as (

    select * from {{ cdp_registry_table('customer_id_assignments') }}

),

links as (

    select * from {{ ref('int_identity__links') }}

),

record_identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

-- each record its identifiers are listed under (a web event group once, but each event of a
-- group without a usable identifier, its own record node), and its anchor. Two branches, not a
-- coalesce() in the join key: with one, DuckDB joined every record's identifiers to their
-- anchors before looking for the few vanished nodes (3.5 s against 1.3 s at 1,000,000 people).
record_anchors as (

    select source, record_key as group_record_key, node_key as anchor_node_key
    from {{ ref('int_identity__record_nodes') }}
    where is_anchor and not is_record_node

    union all

    select source, group_record_key, node_key
    from {{ ref('int_identity__record_nodes') }}
    where is_record_node

),

excluded as (

    select * from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null

),

moved as (

    select
        previous_customer_id as customer_id,
        customer_id as current_customer_id,
        case when holds_previous_customer then 'merge' else 'split' end as change_type,
        count(*) as nodes
    from assignment
    where previous_customer_id is not null
        and previous_customer_id <> customer_id
    group by 1, 2, 3

),

-- what joined nodes that used to belong to different customers
merge_reasons as (

    select a.customer_id as current_customer_id, {{ cdp_string_agg_distinct('links.rule') }} as rules
    from links
    inner join assignment as a on a.node_key = links.node_a
    inner join assignment as b on b.node_key = links.node_b
    where coalesce(a.previous_customer_id, '') <> coalesce(b.previous_customer_id, '')
    group by a.customer_id

),

-- previous nodes that are no longer in the graph, and why
vanished as (

    select previous.customer_id, previous.node_key, excluded.exclusion, excluded.reason
    from previous
    left join assignment on assignment.node_key = previous.node_key
    left join excluded on excluded.node_key = previous.node_key
    where assignment.node_key is null

),

split_reasons as (

    select
        customer_id,
        {{ cdp_string_agg_distinct(dbt.concat(['node_key', "' '", "coalesce(exclusion, 'removed')", "coalesce(': ' || reason, '')"]), '; ') }} as vanished_nodes
    from vanished
    group by customer_id

),

-- records that carried a vanished node and now belong to another customer: the customer lost
-- them, a split even though no surviving node changed hands
left_with_vanished as (

    select
        vanished.customer_id,
        assignment.customer_id as current_customer_id,
        'split' as change_type,
        count(distinct assignment.node_key) as nodes
    from vanished
    inner join record_identifiers on record_identifiers.node_key = vanished.node_key
    inner join record_anchors
        on record_anchors.source = record_identifiers.source
        and record_anchors.group_record_key = record_identifiers.record_key
    inner join assignment on assignment.node_key = record_anchors.anchor_node_key
    where assignment.customer_id <> vanished.customer_id
    group by vanished.customer_id, assignment.customer_id

),

retired as (

    select previous.customer_id, cast(null as {{ dbt.type_string() }}) as current_customer_id,
           'retired' as change_type, count(*) as nodes
    from previous
    left join (select distinct customer_id from assignment) as current_ids
        on current_ids.customer_id = previous.customer_id
    left join (select distinct previous_customer_id from assignment where previous_customer_id is not null) as still_held
        on still_held.previous_customer_id = previous.customer_id
    where current_ids.customer_id is null and still_held.previous_customer_id is null
    group by previous.customer_id

),

changes as (

    select * from moved
    union all
    select customer_id, current_customer_id, change_type, nodes
    from left_with_vanished
    where not exists (
        select 1 from moved
        where moved.customer_id = left_with_vanished.customer_id
            and moved.current_customer_id = left_with_vanished.current_customer_id
    )
    union all
    select * from retired

),

final as (

    select
        cast('{{ cdp_run_id() }}' as {{ dbt.type_string() }}) as run_id,
        {{ dbt.current_timestamp() }} as changed_at,
        changes.change_type,
        changes.customer_id,
        changes.current_customer_id,
        changes.nodes,
        case changes.change_type
            when 'merge' then {{ dbt.concat(["'linked by '", "coalesce(merge_reasons.rules, 'unknown rule')"]) }}
            when 'split' then coalesce(
                {{ dbt.concat(["'no longer linked: '", 'split_reasons.vanished_nodes']) }},
                'the links joining it to the rest of the customer are gone'
            )
            else coalesce({{ dbt.concat(["'all nodes gone: '", 'split_reasons.vanished_nodes']) }}, 'all nodes gone')
        end as reason

    from changes
    left join merge_reasons on merge_reasons.current_customer_id = changes.current_customer_id and changes.change_type = 'merge'
    left join split_reasons on split_reasons.customer_id = changes.customer_id

)

select * from final
