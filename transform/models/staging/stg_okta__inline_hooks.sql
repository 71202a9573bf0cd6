-- Inline hooks (opt-in stream inline_hooks): the calls Okta makes mid-flow (token, SAML,
-- import, registration), and where to (channel_uri). Okta's version is hook_version.
{{ okta_stg_hook('inline_hooks', [
    ('id', 'inline_hook_id', 'text'),
    ('name', 'inline_hook_name', 'text'),
    ('type', 'inline_hook_type', 'text'),
    ('hookVersion', 'hook_version', 'text'),
    ('status', 'inline_hook_status', 'text'),
]) }}
