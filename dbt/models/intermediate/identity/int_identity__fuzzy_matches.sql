-- Record pairs matched without a shared identifier: a CRM duplicate with a typo in the e-mail,
-- a till customer who gave a name and postal code, a web login whose identify traits name the
-- visitor. Candidates come from blocking (pairs must
-- share a block key: birth date and surname initial; a specific postal code and first initial;
-- the e-mail's local part and surname initial; the e-mail's domain, skeleton, surname prefix
-- and first initial), so only plausible pairs are compared, then each pair is scored on name
-- similarity and must meet one rule:
--   name_birth_date   first and last names similar, same birth date
--   name_email        first and last names the same (identity_fuzzy_email_name_threshold), e-mails
--                     within a few edits: a typo in the e-mail leaves the names alone, while two
--                     people with near names pick near addresses (loic.lefevre@, loic.lefebvre@)
--   name_postal_code  first and last names very similar, same postal code
-- name_postal_code only counts where the postal code is specific: shared by at most
-- identity_fuzzy_max_surnames_per_postal_code surnames among CRM contacts (a UK or German postcode
-- is a street; a coarse postal district holds many namesakes).
-- Vetoes: a pair whose birth dates are both known and differ never matches (household members
-- share a surname, an address and a landline, but not a birthday). For the e-mail and postal-code
-- rules, two known e-mails must have the same "skeleton" (everything but the letters: dots,
-- underscores, digits, the domain's punctuation), since a typo changes letters while namesakes
-- pick other patterns (megan.patel@ and meganpatel@, mjackson80@ and mjackson90@ are two people),
-- and two known streets must agree. A record that matches two records with different birth dates
-- is ambiguous and links to neither, so it cannot glue two people together. Thresholds are dbt vars
-- (identity_fuzzy_*), documented in docs/identity_resolution.md.
--
-- Records that agree on every attribute the rules read (names, birth date, postal code, street,
-- e-mail: a signature) are compared once, through the signature's first record: a regular
-- shopper's hundred named till sales would otherwise be a hundred squared pairs. Two matching
-- signatures link each member of one to the first record of the other, and the members of a
-- signature whose rule holds between identical records (a known birth date, a specific postal
-- code) link to its first record: the same components as every pair, in a number of rows that
-- grows with the records, not with their square.
--
-- Each pair carries both records' anchor nodes (cdp_record_anchors), the ends of the
-- edge int_identity__provisional_components and int_identity__links draw from it.

{%- set name_threshold = var('identity_fuzzy_name_threshold') %}
{%- set strict_name_threshold = var('identity_fuzzy_strict_name_threshold') %}
{%- set max_email_edits = var('identity_fuzzy_email_max_edits') %}
{%- set email_name_threshold = var('identity_fuzzy_email_name_threshold') %}
{%- set max_surnames_per_postal_code = var('identity_fuzzy_max_surnames_per_postal_code') %}

with

excluded as (

    select distinct node_key
    from {{ ref('int_identity__excluded_identifiers') }}
    where node_key is not null

),

crm as (

    select 'crm' as source, contact_id as record_key, updated_at as observed_at,
           first_name_normalized, last_name_normalized, birth_date, postal_code_normalized,
           lower(street) as street, case when is_valid_email then email end as email
    from {{ ref('int_crm__contacts_latest') }}
    where first_name_normalized is not null and last_name_normalized is not null

),

pos as (

    select 'pos' as source, transaction_id as record_key, transaction_at as observed_at,
           first_name_normalized, last_name_normalized, cast(null as date) as birth_date,
           postal_code_normalized, cast(null as {{ dbt.type_string() }}) as street,
           case when is_valid_email then email end as email
    from {{ ref('int_pos__transactions_deduplicated') }}
    where first_name_normalized is not null and last_name_normalized is not null
        and postal_code_normalized is not null

),

-- identify calls whose traits name the visitor (with an e-mail or a postal code to compare)
web as (

    select 'web' as source, message_id as record_key, event_at as observed_at,
           first_name_normalized, last_name_normalized, cast(null as date) as birth_date,
           postal_code_normalized, cast(null as {{ dbt.type_string() }}) as street,
           case when is_valid_email then email end as email
    from {{ ref('int_web__events_deduplicated') }}
    where first_name_normalized is not null and last_name_normalized is not null
        and (is_valid_email or postal_code_normalized is not null)

),

people as (

    select people.source, people.record_key, people.observed_at, people.first_name_normalized,
           people.last_name_normalized, people.birth_date, people.postal_code_normalized, people.street,
           case when excluded.node_key is null then people.email end as email
    from (select * from crm union all select * from pos union all select * from web) as people
    left join excluded
        on excluded.node_key = {{ dbt.concat(["'email:'", 'people.email']) }}

),

-- every candidate with its signature's first record (the representative)
members as (

    select
        people.*,
        first_value(people.source) over signature as rep_source,
        first_value(people.record_key) over signature as rep_record_key,
        count(*) over signature as signature_records

    from people
    window signature as (
        partition by people.first_name_normalized, people.last_name_normalized, people.birth_date,
                     people.postal_code_normalized, people.street, people.email
        order by people.source, people.record_key
        rows between unbounded preceding and unbounded following
    )

),

representatives as (

    select * from members
    where source = rep_source and record_key = rep_record_key

),

postal_code_density as (

    select postal_code_normalized, count(distinct last_name_normalized) as surnames
    from crm
    where postal_code_normalized is not null
    group by postal_code_normalized

),

blocked as (

    select
        people.*,
        -- everything but the letters: computed once per signature, compared for every pair
        {{ cdp_regexp_replace('people.email', '[a-z]', '') }} as email_skeleton,
        coalesce(postal_code_density.surnames, 0) <= {{ max_surnames_per_postal_code }} as is_specific_postal_code,
        {{ dbt.concat(['cast(people.birth_date as ' ~ dbt.type_string() ~ ')', "'|'", 'left(people.last_name_normalized, 1)']) }} as block_birth_date,
        -- only specific postal codes: the postal-code rule cannot fire on coarse ones anyway
        case when coalesce(postal_code_density.surnames, 0) <= {{ max_surnames_per_postal_code }} then
            {{ dbt.concat(['people.postal_code_normalized', "'|'", 'left(people.first_name_normalized, 1)']) }}
        end as block_postal_code,
        -- e-mail typos: the same local part (a typo in the domain), or the same domain, e-mail
        -- skeleton (the rules veto different skeletons anyway) and start of the names (a typo in
        -- the local part)
        {{ dbt.concat(["split_part(people.email, '@', 1)", "'|'", 'left(people.last_name_normalized, 1)']) }} as block_email_local,
        {{ dbt.concat([
            "split_part(people.email, '@', 2)", "'|'", cdp_regexp_replace('people.email', '[a-z]', ''), "'|'",
            'left(people.last_name_normalized, 3)', 'left(people.first_name_normalized, 1)'
        ]) }} as block_email_domain

    from representatives as people
    left join postal_code_density
        on postal_code_density.postal_code_normalized = people.postal_code_normalized

),

candidate_pairs as (

    {%- for block in ['block_birth_date', 'block_postal_code', 'block_email_local', 'block_email_domain'] %}
    {% if not loop.first %}union{% endif %}
    select a.source as source_a, a.record_key as record_key_a, b.source as source_b, b.record_key as record_key_b
    from blocked as a
    inner join blocked as b
        on a.{{ block }} = b.{{ block }}
        and (a.source < b.source or (a.source = b.source and a.record_key < b.record_key))
    where a.{{ block }} is not null
    {%- endfor %}

),

scored as (

    select
        candidate_pairs.*,
        {{ cdp_name_similarity('a.first_name_normalized', 'b.first_name_normalized') }} as first_name_similarity,
        {{ cdp_name_similarity('a.last_name_normalized', 'b.last_name_normalized') }} as last_name_similarity,
        a.birth_date = b.birth_date as same_birth_date,
        a.birth_date <> b.birth_date as different_birth_date,
        a.postal_code_normalized = b.postal_code_normalized and a.is_specific_postal_code as same_postal_code,
        a.email_skeleton <> b.email_skeleton as different_email_skeleton,
        a.street <> b.street as different_street,
        a.email as email_a,
        b.email as email_b,
        a.birth_date as birth_date_a,
        b.birth_date as birth_date_b,
        greatest(a.observed_at, b.observed_at) as matched_at

    from candidate_pairs
    inner join blocked as a on a.source = candidate_pairs.source_a and a.record_key = candidate_pairs.record_key_a
    inner join blocked as b on b.source = candidate_pairs.source_b and b.record_key = candidate_pairs.record_key_b

),

ruled as (

    select
        *,
        case
            when coalesce(different_birth_date, false) then null
            when first_name_similarity >= {{ name_threshold }} and last_name_similarity >= {{ name_threshold }}
                and same_birth_date then 'name_birth_date'
            when coalesce(different_email_skeleton, false) or coalesce(different_street, false) then null
            -- the edit distance last: it is the dearest test, needed only for near-identical names
            when first_name_similarity >= {{ email_name_threshold }} and last_name_similarity >= {{ email_name_threshold }}
                and {{ cdp_within_edits('email_a', 'email_b', max_email_edits) }} then 'name_email'
            when first_name_similarity >= {{ strict_name_threshold }} and last_name_similarity >= {{ strict_name_threshold }}
                and same_postal_code then 'name_postal_code'
        end as rule

    from scored

),

matched as (

    select
        source_a, record_key_a, source_b, record_key_b, rule, first_name_similarity, last_name_similarity,
        same_birth_date, same_postal_code, {{ cdp_edit_distance('email_a', 'email_b') }} as email_edits,
        birth_date_a, birth_date_b
    from ruled
    where rule is not null

),

-- a signature of several records whose rule holds between identical records: its members match
self_matched as (

    select
        source as source_a, record_key as record_key_a, source as source_b, record_key as record_key_b,
        case
            when birth_date is not null then 'name_birth_date'
            when postal_code_normalized is not null and is_specific_postal_code then 'name_postal_code'
        end as rule,
        1.0 as first_name_similarity,
        1.0 as last_name_similarity,
        case when birth_date is not null then true end as same_birth_date,
        case when postal_code_normalized is not null and is_specific_postal_code then true end as same_postal_code,
        case when email is not null then 0 end as email_edits,
        birth_date as birth_date_a,
        birth_date as birth_date_b
    from blocked
    where signature_records > 1
        and (birth_date is not null or (postal_code_normalized is not null and is_specific_postal_code))

),

-- each matched signature seen from both sides, with the birth date of the signature it matched
partners as (

    select source_a as source, record_key_a as record_key, birth_date_b as partner_birth_date from matched
    union all
    select source_b, record_key_b, birth_date_a from matched
    union all
    select source_a, record_key_a, birth_date_b from self_matched

),

ambiguous as (

    select source, record_key
    from partners
    group by source, record_key
    having count(distinct partner_birth_date) > 1

),

kept as (

    select all_matched.*
    from (select * from matched union all select * from self_matched) as all_matched
    left join ambiguous as ambiguous_a
        on ambiguous_a.source = all_matched.source_a and ambiguous_a.record_key = all_matched.record_key_a
    left join ambiguous as ambiguous_b
        on ambiguous_b.source = all_matched.source_b and ambiguous_b.record_key = all_matched.record_key_b
    where ambiguous_a.record_key is null and ambiguous_b.record_key is null

),

-- each kept match from both of its signatures' side
match_sides as (

    {%- set evidence = 'rule, first_name_similarity, last_name_similarity, same_birth_date, same_postal_code, email_edits' %}
    select source_a as side_source, record_key_a as side_record_key,
           source_b as other_source, record_key_b as other_record_key, {{ evidence }}
    from kept
    union all
    select source_b, record_key_b, source_a, record_key_a, {{ evidence }}
    from kept

),

-- from signatures back to records: every member of one side to the other side's representative
record_pairs as (

    select members.source, members.record_key, members.observed_at,
           other.source as other_source, other.record_key as other_record_key, other.observed_at as other_observed_at,
           match_sides.rule, match_sides.first_name_similarity, match_sides.last_name_similarity,
           match_sides.same_birth_date, match_sides.same_postal_code, match_sides.email_edits
    from match_sides
    inner join members
        on members.rep_source = match_sides.side_source and members.rep_record_key = match_sides.side_record_key
    inner join representatives as other
        on other.source = match_sides.other_source and other.record_key = match_sides.other_record_key

),

pairs as (

    select distinct
        case when record_is_first then source else other_source end as source_a,
        case when record_is_first then record_key else other_record_key end as record_key_a,
        case when record_is_first then other_source else source end as source_b,
        case when record_is_first then other_record_key else record_key end as record_key_b,
        rule,
        round((first_name_similarity + last_name_similarity) / 2, 4) as score,
        first_name_similarity,
        last_name_similarity,
        same_birth_date,
        same_postal_code,
        email_edits,
        greatest(observed_at, other_observed_at) as matched_at

    from (
        select
            *,
            source < other_source or (source = other_source and record_key < other_record_key) as record_is_first
        from record_pairs
        -- a representative paired with itself (self matches) is no pair
        where not (source = other_source and record_key = other_record_key)
    ) as pairs

),

matched_records as (

    select source_a as source, record_key_a as record_key from pairs
    union
    select source_b, record_key_b from pairs

),

-- the anchors of the matched records (a web event's is its group's), looked up once here for
-- every model that draws the matches as edges
matched_anchors as (

    {{ cdp_record_anchors('matched_records') }}

),

final as (

    select pairs.*, anchor_a.anchor_node_key as anchor_node_key_a, anchor_b.anchor_node_key as anchor_node_key_b
    from pairs
    inner join matched_anchors as anchor_a
        on anchor_a.source = pairs.source_a and anchor_a.record_key = pairs.record_key_a
    inner join matched_anchors as anchor_b
        on anchor_b.source = pairs.source_b and anchor_b.record_key = pairs.record_key_b

)

select * from final
