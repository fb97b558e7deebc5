{#-
    The keys (key_column) of the rows of `relation` that carry an identifier on the erasure
    suppression list (models/registry/suppressed_identifiers.sql): the records of people who asked
    to be forgotten, to be left out of everything downstream. `identifiers` is a list of
    (identifier type, column) pairs, hashed as the identity graph's node keys (`<type>:<value>`).

    Only distinct values are hashed (not every row), and nothing at all while the suppression list
    is empty, so a deployment without erasure requests pays nothing for it.
-#}
{% macro cdp_erased_keys(relation, key_column, identifiers) -%}
    {%- if cdp_suppression_list_is_empty() -%}
    select cast(null as {{ dbt.type_string() }}) as erased_key where 1 = 0
    {%- else -%}
    {%- for identifier_type, column in identifiers %}
    select distinct {{ key_column }} as erased_key
    from {{ relation }}
    where {{ column }} in (
        select candidate
        from (select distinct {{ column }} as candidate from {{ relation }} where {{ column }} is not null) as candidates
        where {{ cdp_sha256(dbt.concat(["'" ~ identifier_type ~ ":'", 'candidate'])) }} in (
            select identifier_hash from {{ ref('suppressed_identifiers') }}
        )
    )
    {% if not loop.last %}union{% endif %}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}

{% macro cdp_suppression_list_is_empty() -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set relation = ref('suppressed_identifiers') -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set result = run_query('select count(*) from ' ~ relation) -%}
    {{ return(result.columns[0].values()[0] == 0) }}
{%- endmacro %}

{#-
    Delete the rows of `relation` that name an erased customer in any of `columns`: the history
    tables keep customer ids for good, and an erased person's history must go with them.
    A no-op while the suppression list is empty.
-#}
{% macro cdp_purge_erased_customers(relation, columns) -%}
    {%- if not cdp_suppression_list_is_empty() -%}
    delete from {{ relation }}
    where {% for column in columns -%}
        {{ cdp_sha256(dbt.concat(["'customer_id:'", column])) }} in (select identifier_hash from {{ ref('suppressed_identifiers') }})
        {%- if not loop.last %} or {% endif %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#-
    The (identifier type, column) pairs of each deduplicated source whose values name a person, for
    cdp_erased_keys: a record carrying any of them on the suppression list is an erased person's.
    POS transactions are also matched by their own record node, for till sales that identity
    resolution had tied to the person by name alone.
-#}
{% macro cdp_erasable_identifiers(source_name) -%}
    {%- set identifiers = {
        'crm': [('crm_contact_id', 'contact_id'), ('email', 'email'), ('phone', 'phone'), ('loyalty_id', 'loyalty_id')],
        'pos': [('email', 'email'), ('phone', 'phone'), ('loyalty_id', 'loyalty_id'),
                ('record', dbt.concat(["'pos:'", 'transaction_id']))],
        'web': [('anonymous_id', 'anonymous_id'), ('anonymous_id', 'previous_id'), ('user_id', 'user_id'),
                ('email', 'email'), ('phone', 'phone')],
    } -%}
    {{ return(identifiers[source_name]) }}
{%- endmacro %}

{#- Whether this run added identifiers to the erasure suppression list (an erasure request was
    processed): a model that cannot tell which of its rows an erasure touched rebuilds then. -#}
{% macro cdp_erasures_this_run() -%}
    {%- set relation = ref('suppressed_identifiers') -%}
    {%- if not execute -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set result = run_query("select count(*) from " ~ relation ~ " where run_id = '" ~ cdp_run_id() ~ "'") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- Pre-hook of an incremental model that is rebuilt on a run that processes an erasure request
    (cdp_erasures_this_run): empty it first, so rows of erased people cannot survive. -#}
{% macro cdp_rebuild_on_erasure() -%}
    {%- if is_incremental() and cdp_erasures_this_run() -%}
    delete from {{ this }}
    {%- endif -%}
{%- endmacro %}
