-- Every merge, split and retirement of a customer id, from the identity registry, and for each
-- retired id the id that now stands for it: follow current_customer_id to find where an old id went.

select * from {{ ref('customer_id_changes') }}
