-- The graph nodes each deduplicated source record touches. A node is a usable identifier
-- ("email:ann@example.com"): well-formed, not blocklisted, not shared. A record's anchor is its
-- smallest node; a record with no usable identifier (a cash sale, an event on a shared computer)
-- gets a node of its own ("record:pos:<id>"), so it becomes its own profile instead of being
-- glued to others through a junk value.

with

identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

excluded as (

    select distinct node_key
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null

),

records as (

    select 'crm' as source, contact_id as record_key, updated_at as observed_at
    from {{ ref('int_crm__contacts_latest') }}
    union all
    select 'pos', transaction_id, transaction_at
    from {{ ref('int_pos__transactions_deduplicated') }}
    union all
    select 'web', message_id, event_at
    from {{ ref('int_web__events_deduplicated') }}

),

usable as (

    select distinct identifiers.source, identifiers.record_key, identifiers.node_key
    from identifiers
    left join excluded
        on excluded.node_key = identifiers.node_key
    where identifiers.node_key is not null
        and excluded.node_key is null

),

with_record_nodes as (

    select records.source, records.record_key, records.observed_at,
           coalesce(usable.node_key, {{ dbt.concat(["'record:'", 'records.source', "':'", 'records.record_key']) }}) as node_key,
           usable.node_key is null as is_record_node
    from records
    left join usable
        on usable.source = records.source
        and usable.record_key = records.record_key

),

final as (

    select
        *,
        node_key = min(node_key) over (partition by source, record_key) as is_anchor
    from with_record_nodes

)

select * from final
