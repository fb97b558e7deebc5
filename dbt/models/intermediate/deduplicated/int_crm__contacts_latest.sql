-- The latest version of each CRM contact: later exports carry newer versions of a contact.
-- Contacts of people who asked to be forgotten are left out, every version of them.

{{ config(
    materialized='incremental',
    unique_key='contact_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp_forget_erased_rows('contact_id', cdp_erasable_identifiers('crm')) }}",
) }}

with

landed_contacts as {{ cdp_not_materialized() }} (

    select * from {{ ref('stg_crm__contacts') }}
    -- incremental: only the keys that received new rows (macros/incremental/cdp_incremental.sql)
    {{ cdp_keys_with_new_rows(ref('stg_crm__contacts'), 'contact_id') }}

),

erased_contacts as (

    {{ cdp_erased_keys('landed_contacts', 'contact_id', cdp_erasable_identifiers('crm')) }}

),

contacts as {{ cdp_not_materialized() }} (

    select * from landed_contacts
    where contact_id not in (select erased_key from erased_contacts)

),

final as (

    {{ cdp_first_row_per_key('contacts', 'contact_id', 'updated_at desc, _loaded_at desc, _source_file desc, _source_line desc', 'versions_landed') }}

)

select * from final
