-- The graph nodes each record touches. A node is a usable identifier ("email:ann@example.com"):
-- well-formed, not blocklisted, not shared. A record's anchor is its smallest node. A web event
-- is represented by its group (int_identity__web_event_groups): one set of rows, keyed by the
-- group's earliest event, for all the events that carry the same identifiers, with records = how
-- many they are. A record with no usable identifier (a cash sale, an event on a shared computer)
-- gets a node of its own ("record:pos:<id>", "record:web:<messageId>": every event of such a
-- group keeps its own), so it becomes its own profile instead of being glued to others through a
-- junk value.
-- anchor_node_key is on the record's other rows, the edges from its anchor, and null on the
-- anchor's own row (is_anchor; its node_key is the anchor): at 1,000,000 people 4.9 million of
-- the 8.5 million rows, which no reader needs it on, and writing the model 1 s faster.
-- group_record_key is on record nodes only: the record whose identifiers the record carries in
-- int_identity__record_identifiers (a web event's group; the record itself otherwise). Every
-- other row's record is its own group. The anchor rows (is_anchor) are the graph's records, a
-- group of web events once; cdp_record_anchors expands them to events for the readers that need
-- events.

with

identifiers as (

    select * from {{ ref('int_identity__record_identifiers') }}

),

excluded as (

    select distinct node_key
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null

),

-- every source record, with the record whose identifiers it carries (a web event: its group's)
records as (

    select 'crm' as source, contact_id as record_key, contact_id as group_record_key, updated_at as observed_at
    from {{ ref('int_crm__contacts_latest') }}
    union all
    select 'pos', transaction_id, transaction_id, transaction_at
    from {{ ref('int_pos__transactions_deduplicated') }}
    union all
    select 'web', message_id, group_key, event_at
    from {{ ref('int_identity__web_event_groups') }}

),

-- a record lists each identifier once (int_identity__record_identifiers), so no distinct is needed
usable as (

    select identifiers.source, identifiers.record_key, identifiers.observed_at,
           identifiers.records, identifiers.node_key
    from identifiers
    left join excluded
        on excluded.node_key = identifiers.node_key
    where identifiers.node_key is not null
        and excluded.node_key is null

),

-- each record's smallest usable node, by aggregation: a window partitioned by the record sorted
-- every partition and was two thirds of this model's time
record_anchor_nodes as (

    select source, record_key, min(node_key) as anchor_node_key
    from usable
    group by source, record_key

),

anchored as (

    select
        usable.source,
        usable.record_key,
        usable.observed_at,
        usable.records,
        usable.node_key,
        case when usable.node_key <> record_anchor_nodes.anchor_node_key then record_anchor_nodes.anchor_node_key end
            as anchor_node_key,
        cast(null as {{ dbt.type_string() }}) as group_record_key,
        false as is_record_node,
        usable.node_key = record_anchor_nodes.anchor_node_key as is_anchor

    from usable
    inner join record_anchor_nodes
        on record_anchor_nodes.source = usable.source
        and record_anchor_nodes.record_key = usable.record_key

),

record_nodes as (

    select
        records.source,
        records.record_key,
        records.observed_at,
        1 as records,
        {{ cdp_record_node_key('records.source', 'records.record_key') }} as node_key,
        cast(null as {{ dbt.type_string() }}) as anchor_node_key,
        records.group_record_key,
        true as is_record_node,
        true as is_anchor

    from records
    -- an equality anti-join (not exists here was planned on "is not distinct from")
    left join record_anchor_nodes
        on record_anchor_nodes.source = records.source
        and record_anchor_nodes.record_key = records.group_record_key
    where record_anchor_nodes.record_key is null

),

final as (

    select * from anchored
    union all
    select * from record_nodes

)

select * from final
