{{ config(materialized='table', full_refresh=false) }}
-- The registry's memory for the next run: which customer id every node of the graph has now.
-- Written after this run's changes were logged, since the log compares against the old state.
-- depends_on: {{ ref('customer_id_changes') }}
-- Written after the marts that compare the graph with the registry's memory of the previous run
-- (customer_records' vanished record nodes, customers' vanished nodes) have read it:
-- depends_on: {{ ref('customers') }}

select
    node_key,
    customer_id,
    cast('{{ cdp_run_id() }}' as {{ dbt.type_string() }}) as run_id,
    {{ dbt.current_timestamp() }} as assigned_at

from {{ ref('int_identity__customer_assignment') }}
