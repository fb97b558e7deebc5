-- How healthy the identity graph is after this run: one row, shown as metadata on the Dagster
-- asset. A sudden jump in the largest customer or in the share of changed ids is the signature
-- of an over-merge (a new junk value gluing people together). Merges and splits are this run's
-- rows of the registry's change log.

with

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

records as (

    select * from {{ ref('customer_records') }}

),

links as (

    select * from {{ ref('int_identity__links') }}

),

excluded as (

    select * from {{ ref('int_identity__excluded_identifiers') }}

),

per_customer as (

    select
        assignment.customer_id,
        count(case when assignment.node_key not like 'record:%' then 1 end) as identifiers,
        max(case when split_part(assignment.node_key, ':', 1) in ('crm_contact_id', 'email', 'phone', 'loyalty_id', 'user_id') then 1 else 0 end) as is_known
    from assignment
    group by assignment.customer_id

),

records_per_customer as (

    select customer_id, count(*) as records
    from records
    group by customer_id

),

this_run_changes as (

    select
        count(case when change_type = 'merge' then 1 end) as merges,
        count(case when change_type = 'split' then 1 end) as splits
    from {{ ref('customer_id_changes') }}
    where run_id = '{{ cdp_run_id() }}'

),

id_changes as (

    select
        count(case when previous_customer_id is not null then 1 end) as nodes_seen_before,
        count(case when previous_customer_id <> customer_id then 1 end) as nodes_changed,
        count(distinct case when is_new_customer then customer_id end) as new_customers
    from assignment

),

final as (

    select
        (select count(*) from per_customer) as customers,
        (select sum(is_known) from per_customer) as known_customers,
        (select max(identifiers) from per_customer) as largest_customer_identifiers,
        (select max(records) from records_per_customer) as largest_customer_records,
        (select percentile_cont(0.99) within group (order by identifiers) from per_customer) as p99_identifiers_per_customer,
        id_changes.new_customers,
        this_run_changes.merges,
        this_run_changes.splits,
        case when id_changes.nodes_seen_before > 0
            then round(cast(id_changes.nodes_changed as double) / id_changes.nodes_seen_before, 6)
            else 0
        end as share_of_ids_changed,
        (select count(*) from links where rule = 'same_record') as exact_links,
        (select count(*) from links where rule like 'fuzzy:%') as fuzzy_links,
        (select count(*) from excluded where exclusion = 'malformed') as malformed_identifiers,
        (select count(*) from excluded where exclusion = 'blocklisted') as blocklisted_identifiers,
        (select count(distinct node_key) from excluded where exclusion = 'shared') as shared_identifiers

    from id_changes
    cross join this_run_changes

)

select * from final
