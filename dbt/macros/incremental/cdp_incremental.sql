{#-
    Incremental nightly runs (docs/performance.md). Raw tables only grow, one extract load
    (`_load_id`) per landed file, so:

    * staging models append the rows of loads they have not staged yet (cdp_unstaged_loads);
    * deduplication models rebuild only the keys that received a new row (cdp_keys_with_new_rows),
      from every staged row of those keys, with the delete+insert strategy: a key's winner and
      its duplicate counts are then exactly what a full rebuild computes;
    * and forget, before that, the kept rows of people added to the erasure suppression list
      (cdp_forget_erased_rows, a pre-hook), which a full rebuild would leave out.

    A full rebuild (`python -m dagster_project.run --full-refresh`, or dbt's --full-refresh) is
    needed only when a staging rule changes (a new normalisation, a changed var such as
    default_phone_country): incremental models do not revisit rows they have already built.
-#}

{#- A filter for a staging model's rows of `raw_relation`: those of loads not staged yet.
    Written `in (... except ...)`, not `not in (staged loads)`: DuckDB pushes the few new load ids
    into the scan, which then skips every row group of older loads, where the anti-join read every
    landed row, payload and all (a year of web events: 7 s against 0.1 s). -#}
{% macro cdp_unstaged_loads(raw_relation) -%}
    {%- if is_incremental() -%}
    where _load_id in (
        select _load_id from {{ raw_relation }}
        except
        select _load_id from {{ this }}
    )
    {%- endif -%}
{%- endmacro %}


{#- A filter on `key` for a deduplication model's staged rows: the keys that received a row
    loaded after the newest row this model holds (every key on a full build). -#}
{% macro cdp_keys_with_new_rows(staged_relation, key) -%}
    {%- if is_incremental() -%}
    where {{ key }} in (
        select {{ key }} from {{ staged_relation }}
        where _loaded_at > (select max(_loaded_at) from {{ this }})
    )
    {%- endif -%}
{%- endmacro %}


{#- Models that recompute only what new web deliveries touched (int_web__sessions,
    int_identity__web_event_groups) keep in `_loaded_at` the newest load staged when each row was
    computed (cdp_newest_load), and look at the deliveries loaded after the newest of these
    (cdp_loaded_after_this). They do so on a nightly run without an erasure request
    (cdp_recompute_touched_only); otherwise they recompute every row. -#}
{% macro cdp_recompute_touched_only() -%}
    {{ return(is_incremental() and not cdp_erasures_this_run()) }}
{%- endmacro %}

{#- A condition on `_loaded_at`: loaded after the newest load this model has seen (every row
    while it is empty). -#}
{% macro cdp_loaded_after_this() -%}
    _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
{%- endmacro %}

{#- The newest load of `relation`: the `_loaded_at` a recomputed row records. -#}
{% macro cdp_newest_load(relation) -%}
    (select max(_loaded_at) from {{ relation }})
{%- endmacro %}


{#- Pre-hook of a deduplication model: delete the kept rows that carry an erased identifier (the
    erasure requests of this run); nothing on a full build or while the suppression list is empty. -#}
{% macro cdp_forget_erased_rows(key, identifiers) -%}
    {%- if is_incremental() and not cdp_suppression_list_is_empty() -%}
    delete from {{ this }}
    where {{ key }} in (
        {{ cdp_erased_keys(this, key, identifiers) }}
    )
    {%- endif -%}
{%- endmacro %}


{#- Per-record models (int_identity__record_identifiers) hold rows computed from one source record
    each, and rebuild on a nightly run only the records whose row a deduplication or grouping
    model rebuilt after the newest one they hold. Each source's record table, its key, and the
    source label the per-record model stores. -#}
{% macro cdp_record_sources() -%}
    {{ return({
        'crm': (ref('int_crm__contacts_latest'), 'contact_id'),
        'pos': (ref('int_pos__transactions_deduplicated'), 'transaction_id'),
        'web': (ref('int_identity__web_event_groups'), 'message_id'),
    }) }}
{%- endmacro %}

{#- A condition on a record table's `_loaded_at`: rebuilt after the newest `_loaded_at` the model
    holds for that source (`true` on a full build and on a run that rebuilds the model). The
    newest value is read when the condition is rendered and written as a literal: the model's
    select is rendered before its pre-hook deletes the touched records' rows (which can remove
    the newest of them), so both see the same records. -#}
{% macro cdp_record_rebuilt(source) -%}
    {%- if not (execute and cdp_recompute_touched_only()) -%}
    true
    {%- else -%}
    {%- set newest = run_query("select max(_loaded_at) from " ~ this ~ " where source = '" ~ source ~ "'").columns[0].values()[0] -%}
    _loaded_at > cast('{{ newest if newest is not none else "1900-01-01" }}' as {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a per-record model: delete the rows of every record its sources rebuilt since the
    model last ran (cdp_record_rebuilt); the model's select adds back their current rows. A web
    group that was regrouped is deleted under every event it had, so a group named after
    another event now leaves no row behind. Nothing on a full build or a rebuilding run. -#}
{% macro cdp_forget_rebuilt_records() -%}
    {%- if execute and cdp_recompute_touched_only() -%}
    delete from {{ this }}
    where
    {%- for source, (relation, key) in cdp_record_sources().items() %}
        (source = '{{ source }}' and record_key in (select {{ key }} from {{ relation }} where {{ cdp_record_rebuilt(source) }}))
        {%- if not loop.last %} or{% endif %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}
