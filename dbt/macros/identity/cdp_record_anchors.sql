{#- Source records with their anchor node, the node that tells which customer a record belongs to:
    (source, record_key, observed_at, anchor_node_key, is_record_node).

    Identity resolution works on web event *groups*: int_identity__record_nodes holds one anchor
    per CRM contact, till sale and group of events with the same identifiers, and one per event of
    a group with no usable identifier (that event's own record node). This expands the groups back
    to their events for the readers that need events: an event takes its group's anchor, or is
    its own record node (named with cdp_record_node_key, not looked up: one join of the events,
    not two). The expansion is not stored: at 1,000,000 people it was a 12.3 million row table
    written on every run for a few readers, two of which need only the records they compare.

    `records`, when given, names a relation of (source, record_key) to expand only: the events
    are joined to it before their groups are looked up. -#}
{% macro cdp_record_anchors(records=none) -%}

    select
        anchors.source,
        anchors.record_key,
        anchors.observed_at,
        anchors.node_key as anchor_node_key,
        anchors.is_record_node

    from {{ ref('int_identity__record_nodes') }} as anchors
    {%- if records %}
    inner join {{ records }} as wanted
        on wanted.source = anchors.source
        and wanted.record_key = anchors.record_key
    {%- endif %}
    where anchors.is_anchor
        and anchors.source <> 'web'

    union all

    select
        'web' as source,
        event_groups.message_id as record_key,
        event_groups.event_at as observed_at,
        coalesce(
            grouped.node_key,
            {{ cdp_record_node_key("'web'", 'event_groups.message_id') }}
        ) as anchor_node_key,
        grouped.node_key is null as is_record_node

    from {{ ref('int_identity__web_event_groups') }} as event_groups
    {%- if records %}
    inner join {{ records }} as wanted
        on wanted.source = 'web'
        and wanted.record_key = event_groups.message_id
    {%- endif %}
    left join {{ ref('int_identity__record_nodes') }} as grouped
        on grouped.source = 'web'
        and grouped.record_key = event_groups.group_key
        and grouped.is_anchor
        and not grouped.is_record_node

{%- endmacro %}
