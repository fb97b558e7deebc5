-- Which customer every deduplicated source record belongs to: the record-level answer of identity
-- resolution (CRM contact_id, web messageId, POS transaction_id -> customer_id).
-- The record's anchor node (its smallest identifier, the graph's internal handle on it) is not
-- published: it says nothing about why the record joined its customer (every identifier counts,
-- customer_identifiers lists them), and as an identifier value it made this 12-million-row table
-- (at 1,000,000 people) one the release had to write twice, hashed for analysts and in full.

-- Identity resolution resolves a group of web events with the same identifiers once
-- (int_identity__record_nodes); this is where every event gets its row (cdp_record_anchors).

-- Incremental: a nightly run rewrites the rows of the records whose customer may have changed
-- since the last build (cdp_changed_records: rebuilt records, records on a node that changed
-- customer, records whose own record node vanished), about 45,000 of 14 million rows on day 366
-- of a year at 100,000 people. A run that processes an erasure request, or finds that the registry
-- remembers another run than the one that last built this table, rebuilds it from every record.
-- `_run_id` is the run that wrote the row: the release copies only the rows written since the
-- previous release into the files it copies from it (dagster_project/publishing/release.py).

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)
-- depends_on: {{ ref('int_crm__contacts_latest') }}, {{ ref('int_pos__transactions_deduplicated') }}  (cdp_changed_records)

{%- set changed_only = cdp_update_changed_records_only() %}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['source', 'record_key'],
    pre_hook="{{ cdp_empty_unless_changed_records_only() }}",
    post_hook=["{{ cdp_forget_incremental_build() }}", "{{ cdp_record_incremental_build() }}"],
) }}

with

{% if changed_only %}
changed_records as (

    {{ cdp_changed_records(cdp_last_incremental_build()[1]) }}

),

{% endif %}
record_anchors as (

    {{ cdp_record_anchors('changed_records' if changed_only else none) }}

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
        cast('{{ cdp_run_id() }}' as {{ dbt.type_string() }}) as _run_id

    from record_anchors
    inner join assignment on assignment.node_key = record_anchors.anchor_node_key

)

select * from final
