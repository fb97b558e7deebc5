{#- Fails when the model and compare_model do not have the same number of rows
    (e.g. a staging model must keep every row of its raw table). -#}
{% test equal_rowcount(model, compare_model) %}

    with

    model_rows as (
        select count(*) as n_records from {{ model }}
    ),

    compare_rows as (
        select count(*) as n_records from {{ compare_model }}
    )

    select
        model_rows.n_records as model_records,
        compare_rows.n_records as compare_records
    from model_rows
    cross join compare_rows
    where model_rows.n_records <> compare_rows.n_records

{% endtest %}
