{{ config(materialized='incremental', incremental_strategy='append', full_refresh=false) }}
-- The erasure suppression list: SHA-256 of every identifier (node key `<type>:<value>`) of every
-- person who asked to be forgotten. Appended once per request and never rebuilt, so it outlives
-- the raw data it was derived from and keeps the person out of every later run: any record that
-- carries one of these identifiers is dropped before deduplication (macros/erasure/cdp_erased.sql).
--
-- A request names an e-mail, a phone or a customer id. Each is resolved through the identity
-- registry to the customer it belonged to at the previous run, and every node of that customer
-- is suppressed (contact ids, loyalty ids, cookies, the records matched by name), not only the
-- identifier given; the identifier given is suppressed too, so a person the warehouse has never
-- seen cannot appear later either; and so is `customer_id:<id>`, which purges the customer's
-- history (customer_id_changes, segment memberships). Only hashes are kept: no PII.

with

requests as (

    select * from {{ ref('stg_erasure__requests') }}
    {% if is_incremental() %}
    where request_id not in (select request_id from {{ this }})
    {% endif %}

),

assignments as (

    select * from {{ cdp_registry_table('customer_id_assignments', as_source=false) }}

),

given_nodes as (

    select request_id, requested_at, {{ dbt.concat(["'email:'", 'email']) }} as node_key
    from requests where email is not null
    union all
    select request_id, requested_at, {{ dbt.concat(["'phone:'", 'phone']) }}
    from requests where phone is not null

),

requested_customers as (

    select distinct requests.request_id, requests.requested_at, assignments.customer_id
    from requests
    inner join assignments on assignments.customer_id = requests.customer_id
    union
    select given_nodes.request_id, given_nodes.requested_at, assignments.customer_id
    from given_nodes
    inner join assignments on assignments.node_key = given_nodes.node_key

),

customer_nodes as (

    select requested_customers.request_id, requested_customers.requested_at, assignments.node_key
    from requested_customers
    inner join assignments on assignments.customer_id = requested_customers.customer_id

),

-- The customer ids themselves, so their history (id changes, segment memberships) is purged too.
customer_ids as (

    select request_id, requested_at, {{ dbt.concat(["'customer_id:'", 'customer_id']) }} as node_key
    from requested_customers

),

all_nodes as (

    select * from given_nodes
    union
    select * from customer_nodes
    union
    select * from customer_ids

),

final as (

    select
        {{ cdp_sha256('node_key') }} as identifier_hash,
        {{ dbt.split_part('node_key', "':'", 1) }} as identifier_type,
        request_id,
        requested_at,
        cast('{{ cdp_run_id() }}' as {{ dbt.type_string() }}) as run_id,
        {{ dbt.current_timestamp() }} as suppressed_at

    from all_nodes

)

select * from final
