-- Web events that carry exactly the same identifiers are resolved once. A visitor's cookie is on
-- every page view, so at 1,000,000 people 9.8 million events carry 2.1 million distinct sets of
-- identifiers: resolving each event would repeat the same work five times over (more with a
-- longer history, where a cookie lives for months). Every event is put in a group with the others
-- that carry the same anonymousId, userId, alias previousId, e-mail, phone and first name (all
-- that int_identity__record_identifiers reads), and the group is named after its earliest event
-- (event time, then messageId), which stands for the group in the identity graph and is the
-- evidence of the links the group makes. int_identity__record_anchors maps every event back.

with

events as (

    select * from {{ ref('int_web__events_deduplicated') }}

),

final as (

    select
        message_id,
        event_at,
        first_value(message_id) over identifiers as group_key,
        count(*) over identifiers as group_events,
        max(event_at) over identifiers as group_last_event_at

    from events
    window identifiers as (
        partition by anonymous_id, user_id, case when event_type = 'alias' then previous_id end,
                     email, phone_raw, phone, first_name_normalized
        order by event_at, message_id
        rows between unbounded preceding and unbounded following
    )

)

select * from final
