-- Stable customer ids. Components are recomputed from scratch every run; this model gives each
-- one a customer id from the registry's memory of the previous run (which id every node had):
--   1. every previous customer id goes to the component now holding most of its nodes;
--   2. a component keeps the oldest previous id it received (ids are issued in order, so the
--      smallest is the oldest); the other ids it received are merged into it;
--   3. a component that received no previous id gets a new one: ids continue the registry's
--      sequence, in the order of each new component's smallest node key.
-- So adding data never changes an id, rebuilding from scratch reproduces the same ids, and a
-- customer that splits keeps its id on its larger part. One row per node of the current graph.

-- The post-hooks record which run's ids were read from the registry (cdp_incremental_builds):
-- customer_records compares nodes with them only if it was last built in that run.
{{ config(post_hook=["{{ cdp_forget_incremental_build() }}", "{{ cdp_record_incremental_build(registry_run=true) }}"]) }}

with

components as (

    select * from {{ ref('int_identity__components') }}

),

previous as (

    select node_key, customer_id
    from {{ cdp_registry_table('customer_id_assignments') }}

),

changes_so_far as (

    select * from {{ cdp_registry_table('customer_id_changes') }}

),

issued as (

    select customer_id from previous
    union
    select customer_id from changes_so_far
    union
    select current_customer_id from changes_so_far

),

last_sequence as (

    select coalesce(max(cast(substr(customer_id, 5) as {{ dbt.type_bigint() }})), 0) as last_seq
    from issued
    where customer_id like 'cus\_%' escape '\'

),

-- every node with the id it had after the last run, joined once for the counts and the output
nodes as (

    select components.node_key, components.component_id, previous.customer_id as previous_customer_id
    from components
    left join previous on previous.node_key = components.node_key

),

held as (

    select component_id, previous_customer_id as customer_id, count(*) as nodes
    from nodes
    where previous_customer_id is not null
    group by component_id, previous_customer_id

),

owners as (

    select component_id, customer_id
    from (
        select
            held.*,
            row_number() over (partition by customer_id order by nodes desc, component_id) as holder_rank
        from held
    ) as ranked
    where holder_rank = 1

),

kept as (

    select component_id, min(customer_id) as customer_id
    from owners
    group by component_id

),

new_components as (

    select components.component_id, min(components.node_key) as first_node_key
    from components
    left join kept on kept.component_id = components.component_id
    where kept.component_id is null
    group by components.component_id

),

new_ids as (

    select
        new_components.component_id,
        {{ dbt.concat([
            "'cus_'",
            "lpad(cast(last_sequence.last_seq + row_number() over (order by new_components.first_node_key) as " ~ dbt.type_string() ~ "), 10, '0')"
        ]) }} as customer_id
    from new_components
    cross join last_sequence

),

assigned as (

    select component_id, customer_id, false as is_new from kept
    union all
    select component_id, customer_id, true from new_ids

),

final as (

    select
        nodes.node_key,
        nodes.component_id,
        assigned.customer_id,
        assigned.is_new as is_new_customer,
        nodes.previous_customer_id,
        -- this component received the node's previous id (it holds most of that customer's nodes)
        owners.component_id is not null as holds_previous_customer

    from nodes
    inner join assigned on assigned.component_id = nodes.component_id
    left join owners
        on owners.customer_id = nodes.previous_customer_id
        and owners.component_id = nodes.component_id

)

select * from final
