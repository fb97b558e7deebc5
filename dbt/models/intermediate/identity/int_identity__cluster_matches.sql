-- Records matched to a whole provisional customer rather than to one record (rule
-- unique_name_postal_code). A till sale that names the shopper and a postal code but carries no
-- identifier (or only a phone number seen nowhere else) ends up in a customer of its own. When
-- exactly one *anchored* customer (one holding an e-mail, loyalty card, web account, cookie or CRM
-- contact) has a record with the same first name, last name and postal code, the sale joins it.
--   1. provisional customers (int_identity__provisional_components): connected components of the
--      graph as identifiers and the record-pair rules (int_identity__fuzzy_matches) leave it;
--   2. every (first name, last name, postal code) of CRM contacts, till sales and identify calls,
--      in postal codes holding at most identity_unique_name_max_surnames_per_postal_code CRM
--      surnames (coarser districts hold too many namesakes);
--   3. an unanchored customer matches when each of its keys is held by one and the same anchored
--      customer; a key held by two anchored customers (two namesakes) matches nobody.
-- Only unanchored customers move, each to one anchored customer, so this can never glue two
-- anchored customers together. One row per record of an unanchored customer that carries the
-- key, with the earliest record of the anchored customer that holds it, and both records' anchor
-- nodes (so int_identity__components and int_identity__links need not look them up again).

{%- set max_surnames_per_postal_code = var('identity_unique_name_max_surnames_per_postal_code') %}

with

provisional_components as (

    select * from {{ ref('int_identity__provisional_components') }}

),

-- anchored: holds an identifier of one person's account, card, cookie or contact; phones (a
-- household line given at the till) and record nodes (no identifier at all) do not anchor
component_anchoring as (

    select
        component_id,
        max(case when node_key like 'phone:%' or node_key like 'record:%' then 0 else 1 end) = 1 as is_anchored
    from provisional_components
    group by component_id

),

contacts as (

    select * from {{ ref('int_crm__contacts_latest') }}

),

named_records as (

    select 'crm' as source, contact_id as record_key, updated_at as observed_at,
           first_name_normalized, last_name_normalized, postal_code_normalized
    from contacts
    union all
    select 'pos', transaction_id, transaction_at, first_name_normalized, last_name_normalized, postal_code_normalized
    from {{ ref('int_pos__transactions_deduplicated') }}
    union all
    select 'web', message_id, event_at, first_name_normalized, last_name_normalized, postal_code_normalized
    from {{ ref('int_web__events_deduplicated') }}
    where event_type = 'identify'

),

postal_code_density as (

    select postal_code_normalized, count(distinct last_name_normalized) as surnames
    from contacts
    where postal_code_normalized is not null
    group by postal_code_normalized

),

-- the records that can carry a key: named, in a specific postal code
keyable_records as (

    select named_records.*
    from named_records
    left join postal_code_density
        on postal_code_density.postal_code_normalized = named_records.postal_code_normalized
    where named_records.first_name_normalized is not null
        and named_records.last_name_normalized is not null
        and named_records.postal_code_normalized is not null
        and coalesce(postal_code_density.surnames, 0) <= {{ max_surnames_per_postal_code }}

),

-- their anchors (a web event's is its group's)
record_anchors as (

    {{ cdp_record_anchors('keyable_records') }}

),

keyed_records as (

    select
        keyable_records.*,
        record_anchors.anchor_node_key,
        provisional_components.component_id,
        component_anchoring.is_anchored

    from keyable_records
    inner join record_anchors
        on record_anchors.source = keyable_records.source and record_anchors.record_key = keyable_records.record_key
    inner join provisional_components on provisional_components.node_key = record_anchors.anchor_node_key
    inner join component_anchoring on component_anchoring.component_id = provisional_components.component_id

),

-- each key held by exactly one anchored customer
unique_keys as (

    select first_name_normalized, last_name_normalized, postal_code_normalized,
           min(component_id) as anchored_component_id
    from keyed_records
    where is_anchored
    group by first_name_normalized, last_name_normalized, postal_code_normalized
    having count(distinct component_id) = 1

),

candidates as (

    select keyed_records.*, unique_keys.anchored_component_id
    from keyed_records
    inner join unique_keys
        on unique_keys.first_name_normalized = keyed_records.first_name_normalized
        and unique_keys.last_name_normalized = keyed_records.last_name_normalized
        and unique_keys.postal_code_normalized = keyed_records.postal_code_normalized
    where not keyed_records.is_anchored

),

-- an unanchored customer whose keys point to two anchored customers is ambiguous: it stays apart
unambiguous_components as (

    select component_id
    from candidates
    group by component_id
    having count(distinct anchored_component_id) = 1

),

-- the earliest record of the anchored customer holding each key
key_evidence as (

    select first_name_normalized, last_name_normalized, postal_code_normalized, source, record_key, observed_at,
           anchor_node_key
    from (
        select
            keyed_records.*,
            row_number() over (
                partition by first_name_normalized, last_name_normalized, postal_code_normalized
                order by observed_at, source, record_key
            ) as evidence_rank
        from keyed_records
        where is_anchored
    ) as ranked
    where evidence_rank = 1

),

final as (

    select
        candidates.source as source_a,
        candidates.record_key as record_key_a,
        key_evidence.source as source_b,
        key_evidence.record_key as record_key_b,
        'unique_name_postal_code' as rule,
        cast(1.0 as double) as score,
        greatest(candidates.observed_at, key_evidence.observed_at) as matched_at,
        candidates.anchor_node_key as anchor_node_key_a,
        key_evidence.anchor_node_key as anchor_node_key_b

    from candidates
    inner join unambiguous_components on unambiguous_components.component_id = candidates.component_id
    inner join key_evidence
        on key_evidence.first_name_normalized = candidates.first_name_normalized
        and key_evidence.last_name_normalized = candidates.last_name_normalized
        and key_evidence.postal_code_normalized = candidates.postal_code_normalized

)

select * from final
