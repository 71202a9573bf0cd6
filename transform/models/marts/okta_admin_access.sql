-- Each admin role each user holds now, directly (via_group_id null) or through a group,
-- with their MFA. Needs the opt-in streams user_roles and group_roles (and user_factors
-- for the MFA columns); without them it has no rows.
select
    h.source_relation,
    h.user_id,
    u.login as user_login,
    u.status as user_status,
    h.role_assignment_id,
    h.role_type,
    coalesce(h.role_label, cr.label) as role_label,
    h.role_status,
    h.custom_role_id,
    h.resource_set_id,
    rs.label as resource_set_label,
    h.via_group_id,
    g.group_name as via_group_name,
    case when h.via_group_id is null then 'direct' else 'group' end as how,
    h.created as granted_at,
    coalesce(mfa.has_mfa, false) as has_mfa,
    coalesce(mfa.has_phishing_resistant_mfa, false) as has_phishing_resistant_mfa,
    u.last_login
from {{ ref('int_okta__admin_role_holders') }} as h
join {{ ref('stg_okta__users') }} as u
    on u.source_relation = h.source_relation and u.user_id = h.user_id
left join {{ ref('stg_okta__groups') }} as g
    on g.source_relation = h.source_relation and g.group_id = h.via_group_id
left join {{ ref('okta_user_mfa') }} as mfa
    on mfa.source_relation = h.source_relation and mfa.user_id = h.user_id
left join {{ ref('stg_okta__custom_roles') }} as cr
    on cr.source_relation = h.source_relation and cr.custom_role_id = h.custom_role_id
left join {{ ref('stg_okta__resource_sets') }} as rs
    on rs.source_relation = h.source_relation and rs.resource_set_id = h.resource_set_id
