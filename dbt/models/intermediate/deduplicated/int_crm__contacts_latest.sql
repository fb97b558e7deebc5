-- The latest version of each CRM contact: later exports carry newer versions of a contact.

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by updated_at desc, _loaded_at desc, _source_file desc, _source_line desc
        ) as version_rank,
        count(*) over (partition by contact_id) as versions_landed

    from contacts

),

final as (

    select * exclude (version_rank)
    from ranked
    where version_rank = 1

)

select * from final
