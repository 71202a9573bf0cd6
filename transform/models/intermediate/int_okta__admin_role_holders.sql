-- Each admin role a user holds: their own assignments (assignmentType USER in
-- user_roles) and every assignment of a group they belong to (group_roles x
-- group_members; user_roles lists those too, as GROUP, without saying which group).
with direct as (
    select
        source_relation, user_id, role_assignment_id, role_type, role_label, role_status,
        custom_role_id, resource_set_id, created,
        cast(null as {{ okta_text_type() }}) as via_group_id
    from {{ ref('stg_okta__user_roles') }}
    where coalesce(assignment_type, 'USER') = 'USER'
),

through_groups as (
    select
        r.source_relation, m.user_id, r.role_assignment_id, r.role_type, r.role_label,
        r.role_status, r.custom_role_id, r.resource_set_id, r.created,
        r.group_id as via_group_id
    from {{ ref('stg_okta__group_roles') }} as r
    join {{ ref('stg_okta__group_members') }} as m
        on m.source_relation = r.source_relation and m.group_id = r.group_id
)

select * from direct
union all
select * from through_groups
