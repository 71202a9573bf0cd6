-- Admin role assignments listed per user (opt-in stream user_roles; no rows when it is
-- not loaded, see var okta_security_streams): the user's own (assignment_type USER) and
-- those held through groups (GROUP), for users that exist now.
{{ okta_stg_role_assignments('user') }}
