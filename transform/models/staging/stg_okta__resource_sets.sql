-- Resource sets of custom admin roles (opt-in stream resource_sets), one row each.
{{ okta_stg_labelled('resource_sets', 'resource_set_id') }}
