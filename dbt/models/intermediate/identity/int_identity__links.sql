-- The edges of the identity graph, each with its provenance, so any merge can be explained.
--   same_record  two usable identifiers seen together in one source record (weight 1.0)
--   fuzzy:<rule> two records matched on names, postal code, birth date or a near-identical e-mail
--                (see int_identity__fuzzy_matches), scored 0..1, or a record matched to the one
--                customer holding its names and postal code (fuzzy:unique_name_postal_code, see
--                int_identity__cluster_matches)
-- One row per (node_a, node_b, rule); node_a < node_b. evidence_* is the earliest record that
-- made the link; supporting_records counts every record that did.

with

record_nodes as {{ cdp_not_materialized() }} (

    select * from {{ ref('int_identity__record_nodes') }}

),

-- record-pair matches, and records matched to a whole provisional customer, each with both
-- records' anchor nodes (a web event's is its group's)
fuzzy_matches as (

    select source_a, record_key_a, source_b, record_key_b, rule, score, matched_at,
           anchor_node_key_a, anchor_node_key_b
    from {{ ref('int_identity__fuzzy_matches') }}
    union all
    select source_a, record_key_a, source_b, record_key_b, rule, score, matched_at,
           anchor_node_key_a, anchor_node_key_b
    from {{ ref('int_identity__cluster_matches') }}

),

-- a web event group stands for all its events: records counts them
co_occurrences as (

    select anchor_node_key as node_a, node_key as node_b, source, record_key, observed_at, records
    from record_nodes
    where not is_anchor

),

-- each pair's evidence is its earliest record: one struct holds it (cdp_min_row)
same_record_pairs as (

    select
        node_a,
        node_b,
        {{ cdp_min_row(['observed_at', 'source', 'record_key']) }} as earliest_record,
        min(observed_at) as first_seen_at,
        cast(sum(records) as {{ dbt.type_bigint() }}) as supporting_records

    from co_occurrences
    group by node_a, node_b

),

same_record as (

    select
        node_a,
        node_b,
        'same_record' as rule,
        cast(1.0 as double) as score,
        earliest_record.source as evidence_source,
        earliest_record.record_key as evidence_record_key,
        cast(null as {{ dbt.type_string() }}) as evidence_other_record_key,
        first_seen_at,
        supporting_records

    from same_record_pairs

),

fuzzy_anchored as (

    select
        least(anchor_node_key_a, anchor_node_key_b) as node_a,
        greatest(anchor_node_key_a, anchor_node_key_b) as node_b,
        {{ dbt.concat(["'fuzzy:'", 'fuzzy_matches.rule']) }} as rule,
        fuzzy_matches.score,
        fuzzy_matches.source_a as evidence_source,
        fuzzy_matches.record_key_a as evidence_record_key,
        {{ dbt.concat(['fuzzy_matches.source_b', "':'", 'fuzzy_matches.record_key_b']) }} as evidence_other_record_key,
        fuzzy_matches.matched_at as first_seen_at

    from fuzzy_matches
    where anchor_node_key_a <> anchor_node_key_b

),

fuzzy_pairs as (

    select
        node_a,
        node_b,
        rule,
        max(score) as score,
        {{ cdp_min_row(['first_seen_at', 'evidence_source', 'evidence_record_key', 'evidence_other_record_key']) }} as earliest_match,
        min(first_seen_at) as first_seen_at,
        count(*) as supporting_records

    from fuzzy_anchored
    group by node_a, node_b, rule

),

fuzzy as (

    select
        node_a,
        node_b,
        rule,
        score,
        earliest_match.evidence_source,
        earliest_match.evidence_record_key,
        earliest_match.evidence_other_record_key,
        first_seen_at,
        supporting_records

    from fuzzy_pairs

),

final as (

    select * from same_record
    union all
    select * from fuzzy

)

select * from final
