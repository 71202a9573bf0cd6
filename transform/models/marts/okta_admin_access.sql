-- Each admin role each user holds now, directly (via_group_id null) or through a group,
-- with their MFA and the role's reach (scope). Needs the opt-in streams user_roles and
-- group_roles (user_factors for the MFA columns, role_targets for scope); without them
-- it has no rows.
--   scope 'targeted': limited to the groups and apps in targeted_group_ids /
--     targeted_app_ids (role_targets has rows for the assignment);
--   'org': all groups / all apps: a role type Okta never limits (SUPER_ADMIN,
--     ORG_ADMIN, READ_ONLY_ADMIN, ...), or one it can limit with no targets in a loaded
--     role_targets;
--   'resource_set': a custom role, limited to its resource set (resource_set_id);
--   'unknown': a role type Okta can limit (USER_ADMIN, HELP_DESK_ADMIN,
--     GROUP_MEMBERSHIP_ADMIN, APP_ADMIN) while role_targets was not loaded for the
--     org; treat it as org-wide until it is. The target lists are then null.
with targets as (
    -- The targets of each (user, assignment, via group): recorded under the group for
    -- a group's assignment, under the user for the user's own (or, as Okta also lists
    -- a group's assignment on each member, under the user).
    select
        h.source_relation,
        h.user_id,
        h.role_assignment_id,
        h.via_group_id,
        {{ okta_array_agg("case when t.target_type = 'group' then t.target_id end") }} as targeted_group_ids,
        {{ okta_array_agg("case when t.target_type = 'app' then t.target_id end") }} as targeted_app_ids
    from {{ ref('int_okta__admin_role_holders') }} as h
    join {{ ref('stg_okta__role_targets') }} as t
        on t.source_relation = h.source_relation
        and t.role_assignment_id = h.role_assignment_id
        and (
            (t.principal_type = 'group' and t.principal_id = h.via_group_id)
            or (t.principal_type = 'user' and t.principal_id = h.user_id)
        )
    group by h.source_relation, h.user_id, h.role_assignment_id, h.via_group_id
),

scoped as (
    select
        h.*,
        case
            when t.user_id is not null then 'targeted'
            when h.role_type = 'CUSTOM' then 'resource_set'
            when h.role_type not in ('USER_ADMIN', 'HELP_DESK_ADMIN', 'GROUP_MEMBERSHIP_ADMIN', 'APP_ADMIN')
                then 'org'
            when {{ okta_loaded('role_targets', 'h.source_relation') }} then 'org'
            else 'unknown'
        end as scope,
        t.targeted_group_ids,
        t.targeted_app_ids
    from {{ ref('int_okta__admin_role_holders') }} as h
    left join targets as t
        on t.source_relation = h.source_relation
        and t.user_id = h.user_id
        and t.role_assignment_id = h.role_assignment_id
        and coalesce(t.via_group_id, '') = coalesce(h.via_group_id, '')
)

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
    h.scope,
    case when h.scope <> 'unknown' then coalesce(h.targeted_group_ids, {{ okta_empty_array() }}) end
        as targeted_group_ids,
    case when h.scope <> 'unknown' then coalesce(h.targeted_app_ids, {{ okta_empty_array() }}) end
        as targeted_app_ids,
    h.created as granted_at,
    coalesce(mfa.has_mfa, false) as has_mfa,
    coalesce(mfa.has_phishing_resistant_mfa, false) as has_phishing_resistant_mfa,
    u.last_login
from scoped as h
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
