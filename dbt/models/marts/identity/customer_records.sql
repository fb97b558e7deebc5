-- Which customer every deduplicated source record belongs to: the record-level answer of identity
-- resolution (CRM contact_id, web messageId, POS transaction_id -> customer_id).
-- The record's anchor node (its smallest identifier, the graph's internal handle on it) is not
-- published: it says nothing about why the record joined its customer (every identifier counts,
-- customer_identifiers lists them), and as an identifier value it made this 12-million-row table
-- (at 1,000,000 people) one the release had to write twice, hashed for analysts and in full.

-- Identity resolution resolves a group of web events with the same identifiers once
-- (int_identity__record_nodes); this is where every event gets its row (cdp_record_anchors).

-- Incremental: a nightly run rewrites the rows of the records whose customer changed since the
-- last build (cdp_changed_records.sql): of the candidates (records rebuilt since, records on a node
-- that changed customer or is new, records whose record node vanished; on day 366 of a year at
-- 100,000 people, 46,531 web events the event groups rewrote and the records of the nodes that
-- moved), those whose row differs from the one held or whose record was rebuilt (56,032 of 13.9
-- million, 42,512 of them differing; a row keeps the customer it replaced in
-- `_previous_customer_id`, which marts.customers reads). A run that
-- processes an erasure request, or that finds the registry remembering another run than this
-- table's last build, rebuilds it from every record. `_built_at` is when the build that wrote
-- the row started: the release patches the previous release's copy with the rows of builds it
-- has not seen (publishing/release.py).

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)
-- depends_on: {{ ref('int_crm__contacts_latest') }}, {{ ref('int_pos__transactions_deduplicated') }}  (cdp_changed_records.sql)

{%- set last_build = cdp_build_to_update(same_registry_run=true) %}
{%- set changed_only = last_build is not none %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source', 'record_key'],
    pre_hook="{{ cdp_empty_unless_updating(same_registry_run=true) }}",
    post_hook=["{{ cdp_forget_incremental_build() }}", "{{ cdp_record_incremental_build(cdp_record_sources().values() | map('first') | list) }}"],
) }}

with

{% if changed_only %}
candidates as (

    {{ cdp_changed_record_candidates(last_build[1]) }}

),

rebuilt as (

    {{ cdp_records_rebuilt_since(last_build[1]) }}

),

{% endif %}
record_anchors as (

    {{ cdp_record_anchors('candidates' if changed_only else none) }}

),

assignment as (

    select * from {{ ref('int_identity__customer_assignment') }}

),

final as (

    select
        record_anchors.source,
        record_anchors.record_key,
        assignment.customer_id,
        record_anchors.observed_at,
        record_anchors.is_record_node as has_no_usable_identifier,
        {{ cdp_build_time() }} as _built_at,
        -- the customer the row replaced says: the one that lost the record (marts.customers)
        {{ 'held.customer_id' if changed_only else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as _previous_customer_id

    from record_anchors
    inner join assignment on assignment.node_key = record_anchors.anchor_node_key
    {%- if changed_only %}
    -- only the candidates whose row differs from the one held, or whose record was rebuilt (its
    -- content may have changed: marts.customers reads the rows written since it was built)
    left join {{ this }} as held
        on held.source = record_anchors.source
        and held.record_key = record_anchors.record_key
    left join rebuilt
        on rebuilt.source = record_anchors.source
        and rebuilt.record_key = record_anchors.record_key
    where held.record_key is null
        or rebuilt.record_key is not null
        or held.customer_id <> assignment.customer_id
        or held.has_no_usable_identifier <> record_anchors.is_record_node
        or held.observed_at is distinct from record_anchors.observed_at
    {%- endif %}

)

select * from final
