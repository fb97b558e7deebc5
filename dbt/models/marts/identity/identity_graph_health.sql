-- How healthy the identity graph is after this run: one row, shown as metadata on the Dagster
-- asset. A sudden jump in the largest customer or in the share of changed ids is the signature
-- of an over-merge (a new junk value gluing people together). Merges and splits are this run's
-- rows of the registry's change log.

with

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

customers as (

    select * from {{ ref('customers') }}

),

links as (

    select * from {{ ref('int_identity__links') }}

),

excluded as (

    select * from {{ ref('int_identity__excluded_identifiers') }}

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
        (select count(*) from customers) as customers,
        (select count(case when is_known then 1 end) from customers) as known_customers,
        (select max(identifiers) from customers) as largest_customer_identifiers,
        (select max(crm_contacts + web_events + pos_transactions) from customers) as largest_customer_records,
        (select percentile_cont(0.99) within group (order by identifiers) from customers) as p99_identifiers_per_customer,
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
