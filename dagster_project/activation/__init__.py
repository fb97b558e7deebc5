"""Activation: segments declared in dbt, their memberships over time, and the exports built from them."""
