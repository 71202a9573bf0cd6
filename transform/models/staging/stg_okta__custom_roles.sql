-- Custom admin roles (opt-in stream custom_roles), one row each.
{{ okta_stg_labelled('custom_roles', 'custom_role_id') }}
