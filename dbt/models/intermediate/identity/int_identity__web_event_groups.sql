-- Web events that carry exactly the same identifiers are resolved once. A visitor's cookie is on
-- every page view, so at 1,000,000 people 9.8 million events carry 2.1 million distinct sets of
-- identifiers: resolving each event would repeat the same work five times over (more with a
-- longer history, where a cookie lives for months). Every event is put in a group with the others
-- that carry the same anonymousId, userId, alias previousId, e-mail, phone and first name (all
-- that int_identity__record_identifiers reads), and the group is named after its earliest event
-- (event time, then messageId), which stands for the group in the identity graph and is the
-- evidence of the links the group makes. customer_records maps every event back (cdp_record_anchors).
-- The window partitions by a fingerprint of the seven identifiers (cdp_partition_fingerprint),
-- not by the strings themselves.
--
-- Incremental: a nightly run regroups only the groups a new delivery touched: every event of the
-- identifiers a re-delivered or new message carries now, and of the groups it was in before (a
-- replaced copy can leave its group, which may then be named after another event). Of the
-- regrouped events it writes only the rows that changed (the group's size and span are on the
-- group's own row only), so the others keep their `_loaded_at`. A run that processes an erasure
-- request rebuilds the model (its pre-hook empties it).

-- depends_on: {{ ref('suppressed_identifiers') }}  (read by cdp_recompute_touched_only on nightly runs only)

{{ config(
    materialized='incremental',
    unique_key='message_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp_rebuild_on_erasure() }}",
) }}

{%- set only_changed = cdp_recompute_touched_only() %}
{%- set identifiers = ['anonymous_id', 'user_id', 'alias_previous_id', 'email', 'phone_raw', 'phone', 'first_name_normalized'] %}
{%- set fingerprint = cdp_partition_fingerprint(identifiers) %}

with

events as {{ cdp_not_materialized() }} (

    select
        message_id, event_at, anonymous_id, user_id,
        case when event_type = 'alias' then previous_id end as alias_previous_id,
        email, phone_raw, phone, first_name_normalized

    from {{ ref('int_web__events_deduplicated') }}

),

{% if only_changed %}

touched_messages as {{ cdp_not_materialized() }} (

    select message_id from {{ ref('stg_web__events') }}
    where {{ cdp_loaded_after_this() }}

),

touched_identifiers as (

    select distinct {{ identifiers | join(', ') }}
    from events
    where message_id in (select message_id from touched_messages)
       or message_id in (
           select message_id from {{ this }}
           where group_key in (select group_key from {{ this }} where message_id in (select message_id from touched_messages))
       )

),

regrouped_events as (

    select events.*
    from events
    inner join touched_identifiers
        on {% for column in identifiers -%}
        events.{{ column }} is not distinct from touched_identifiers.{{ column }}
        {%- if not loop.last %}
       and {% endif %}
        {%- endfor %}

),

{% endif %}

grouped as (

    select
        message_id,
        event_at,
        first_value(message_id) over identifiers as group_key,
        count(*) over identifiers as group_events,
        max(event_at) over identifiers as group_last_event_at

    from (
        select *
        {%- for expression in fingerprint %}, {{ expression }} as identifiers_fingerprint_{{ loop.index }}{% endfor %}
        from {{ 'regrouped_events' if only_changed else 'events' }}
    ) as fingerprinted
    window identifiers as (
        partition by {% for expression in fingerprint %}identifiers_fingerprint_{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
        order by event_at, message_id
        rows between unbounded preceding and unbounded following
    )

),

final as (

    select
        grouped.message_id,
        grouped.event_at,
        grouped.group_key,
        -- the group's size and span, on the group's own row only (the only one its readers take):
        -- an old event of a group that only grew then has nothing new, and is not rewritten
        case when grouped.group_key = grouped.message_id then grouped.group_events end as group_events,
        case when grouped.group_key = grouped.message_id then grouped.group_last_event_at end as group_last_event_at,
        -- the newest load staged when the event's group was formed: a nightly run looks at what
        -- came after, and readers of rebuilt records (customer_records' candidates) at the rows
        -- written since they last ran
        {{ cdp_newest_load(ref('stg_web__events')) }} as _loaded_at

    from grouped
    {%- if only_changed %}
    -- only the rows that differ from the ones held: a new or re-delivered event, one whose group
    -- is named after another event now, and each group's own row (a year's events of every
    -- device active that day are regrouped, and nearly all keep their row)
    left join {{ this }} as held on held.message_id = grouped.message_id
    left join (select distinct message_id from touched_messages) as touched_messages
        on touched_messages.message_id = grouped.message_id
    where held.message_id is null
        or touched_messages.message_id is not null
        or held.group_key <> grouped.group_key
        or grouped.group_key = grouped.message_id
    {%- endif %}

)

select * from final
