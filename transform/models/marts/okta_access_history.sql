-- Who held what, and when: intervals [valid_from, valid_to) of
--   user -> app        (Okta's app-user list: application.user_membership.add / .remove,
--                       which Okta logs for direct and group-derived assignments alike),
--   user -> group      (group.user_membership.add / .remove; Everyone from user creation),
--   group -> app       (group.application_assignment.add / .remove),
--   user/group -> admin_role (user.account.privilege.grant / .revoke,
--                       group.privilege.grant / .revoke; object: the role assignment id),
-- from the System Log the tap lands. Access that already existed when the history starts
-- (the first event the log holds: the tap's start_date, at most Okta's 90 days back) is
-- seeded from the tables ("first complete read"). An interval ends with its removal event,
-- with the deletion of its user, group or app, or, when the log never said (Okta logs no
-- removal for the memberships of a deleted group, for instance) and the tables no longer
-- hold it, at the end of the log (closed_by: complete read). valid_to null: still holds.
-- See the macro okta_access_as_of for the "who could use app X at time T" query.
-- The CTEs read more than once are `as materialized` (DuckDB and PostgreSQL 12+): DuckDB
-- 1.2 inlines every other CTE at each reference, which nested here into 267 scans and JSON
-- unnests of the System Log and spilled gigabytes at a tenth of issue 21's org.
with targets as materialized (
    select
        source_relation,
        event_id,
        min(published) as published,
        min(event_type) as event_type,
        max(case when target_type = 'User' then target_id end) as user_id,
        max(case when target_type = 'UserGroup' then target_id end) as group_id,
        max(case when target_type = 'AppInstance' then target_id end) as app_id,
        -- A ROLE target's id is the role type; its alternateId, the assignment's id.
        max(case when target_type = 'ROLE' then target_alternate_id end) as role_assignment_id
    from {{ ref('stg_okta__log_targets') }}
    where event_type in (
        'application.user_membership.add', 'application.user_membership.remove',
        'group.user_membership.add', 'group.user_membership.remove',
        'group.application_assignment.add', 'group.application_assignment.remove',
        'user.account.privilege.grant', 'user.account.privilege.revoke',
        'group.privilege.grant', 'group.privilege.revoke',
        'user.lifecycle.create',
        'user.lifecycle.delete.completed', 'group.lifecycle.delete', 'application.lifecycle.delete'
    )
    group by source_relation, event_id
),

-- The event's outcome must be a success: a failed grant changes nothing.
succeeded as materialized (
    select t.*
    from targets as t
    join {{ ref('stg_okta__logs') }} as l
        on l.source_relation = t.source_relation and l.event_id = t.event_id
    where coalesce(l.outcome_result, 'SUCCESS') = 'SUCCESS'
),

everyone as (
    select source_relation, min(group_id) as group_id
    from {{ ref('stg_okta__groups') }}
    where is_everyone
    group by source_relation
),

changes as (
    select source_relation, event_id, published, 'user' as principal_type, user_id as principal_id,
        'app' as object_type, app_id as object_id, event_type like '%.add' as is_grant
    from succeeded where event_type like 'application.user_membership.%'
    union all
    select source_relation, event_id, published, 'user', user_id, 'group', group_id,
        event_type like '%.add'
    from succeeded where event_type like 'group.user_membership.%'
    union all
    select source_relation, event_id, published, 'group', group_id, 'app', app_id,
        event_type like '%.add'
    from succeeded where event_type like 'group.application_assignment.%'
    union all
    select source_relation, event_id, published, 'user', user_id, 'admin_role',
        role_assignment_id, event_type like '%.grant'
    from succeeded where event_type like 'user.account.privilege.%'
    union all
    select source_relation, event_id, published, 'group', group_id, 'admin_role',
        role_assignment_id, event_type like '%.grant'
    from succeeded where event_type like 'group.privilege.%'
    union all
    -- Okta logs no membership event for Everyone: a new user is a member.
    select s.source_relation, s.event_id, s.published, 'user', s.user_id, 'group', e.group_id, true
    from succeeded as s
    join everyone as e on e.source_relation = s.source_relation
    where s.event_type = 'user.lifecycle.create'
),

pair_events as materialized (
    select * from changes where principal_id is not null and object_id is not null
),

deletions as (
    select source_relation, object_id, min(deleted_at) as deleted_at
    from (
        select source_relation, coalesce(user_id, group_id, app_id) as object_id, published as deleted_at
        from succeeded
        where event_type in ('user.lifecycle.delete.completed', 'group.lifecycle.delete', 'application.lifecycle.delete')
        -- A user, group or app a complete read found gone (target-postgres soft deletes).
        {%- for stream in ['users', 'groups', 'apps'] %}
        union all
        select source_relation, id, deleted_at
        from ({{ okta_source(stream, [('id', 'id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}) as d
        where deleted_at is not null
        {%- endfor %}
    ) as known
    group by source_relation, object_id
),

bounds as (
    select source_relation, min(published) as history_start, max(published) as history_end
    from {{ ref('stg_okta__logs') }}
    group by source_relation
),

-- What the tables hold now.
current_pairs as materialized (
    select source_relation, 'user' as principal_type, user_id as principal_id, 'app' as object_type,
        app_id as object_id, case when scope = 'USER' then 'direct' else 'group' end as how
    from {{ ref('stg_okta__app_users') }}
    union all
    select source_relation, 'user', user_id, 'group', group_id, 'direct'
    from {{ ref('stg_okta__group_members') }}
    union all
    select source_relation, 'group', group_id, 'app', app_id, 'direct'
    from {{ ref('stg_okta__app_groups') }}
    union all
    select source_relation, 'user', user_id, 'admin_role', role_assignment_id, 'direct'
    from {{ ref('stg_okta__user_roles') }}
    where coalesce(assignment_type, 'USER') = 'USER'
    union all
    select source_relation, 'group', group_id, 'admin_role', role_assignment_id, 'direct'
    from {{ ref('stg_okta__group_roles') }}
),

-- What the tables hold, the rows of a deleted user, group or app included (they linger
-- until a complete read), so access that ended with a deletion, which the log names per
-- object only, still has its interval before the deletion.
ever_pairs as (
    select source_relation, 'user' as principal_type, user_id as principal_id, 'app' as object_type,
        app_id as object_id, case when scope = 'USER' then 'direct' else 'group' end as how
    from (
        {{ okta_source('app_users', [('appId', 'app_id', 'text'), ('id', 'user_id', 'text'), ('scope', 'scope', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
    ) as au
    where deleted_at is null
    union all
    select source_relation, 'user', user_id, 'group', group_id, 'direct'
    from (
        {{ okta_source('group_members', [('groupId', 'group_id', 'text'), ('userId', 'user_id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
    ) as gm
    where deleted_at is null
    union all
    select source_relation, 'group', group_id, 'app', app_id, 'direct'
    from (
        {{ okta_source('app_groups', [('appId', 'app_id', 'text'), ('id', 'group_id', 'text'), ('_sdc_deleted_at', 'deleted_at', 'timestamp')]) }}
    ) as ag
    where deleted_at is null
    union all
    select * from current_pairs where object_type = 'admin_role'
),

-- Events that change the state (a grant after a grant, e.g. an update, is not one).
ordered as materialized (
    select
        *,
        lag(is_grant) over (
            partition by source_relation, principal_type, principal_id, object_type, object_id
            order by published, is_grant, event_id
        ) as previous_is_grant,
        row_number() over (
            partition by source_relation, principal_type, principal_id, object_type, object_id
            order by published, is_grant, event_id
        ) as position
    from pair_events
),

transitions as (
    select
        *,
        lead(published) over (
            partition by source_relation, principal_type, principal_id, object_type, object_id
            order by published, is_grant, event_id
        ) as next_published
    from ordered
    where previous_is_grant is null or previous_is_grant != is_grant
),

from_events as (
    select
        source_relation, principal_type, principal_id, object_type, object_id,
        published as valid_from,
        next_published as valid_to,
        event_id as source_event_id,
        cast(null as {{ okta_text_type() }}) as known_how
    from transitions
    where is_grant
),

-- Held before the history starts: a pair the tables hold (or held) and the log never mentions,
-- or one whose first event is its removal.
seeds as (
    select
        c.source_relation, c.principal_type, c.principal_id, c.object_type, c.object_id,
        coalesce(b.history_start, {{ okta_now() }}) as valid_from,
        cast(null as timestamp) as valid_to,
        cast(null as {{ okta_text_type() }}) as source_event_id,
        c.how as known_how
    from ever_pairs as c
    left join bounds as b on b.source_relation = c.source_relation
    where not exists (
        select 1 from pair_events as e
        where e.source_relation = c.source_relation and e.principal_type = c.principal_type
            and e.principal_id = c.principal_id and e.object_type = c.object_type
            and e.object_id = c.object_id
    )
    union all
    select
        o.source_relation, o.principal_type, o.principal_id, o.object_type, o.object_id,
        b.history_start, o.published, cast(null as {{ okta_text_type() }}),
        cast(null as {{ okta_text_type() }})
    from ordered as o
    left join bounds as b on b.source_relation = o.source_relation
    where o.position = 1 and not o.is_grant
),

intervals as materialized (
    select * from from_events
    union all
    select * from seeds
),

-- The first deletion of an interval's principal or object after it began (joins, not a
-- correlated subquery: PostgreSQL would run that once per interval).
deletion_hits as (
    select i.source_relation, i.principal_type, i.principal_id, i.object_type, i.object_id,
        i.valid_from, d.deleted_at
    from intervals as i
    join deletions as d
        on d.source_relation = i.source_relation and d.object_id = i.principal_id
        and d.deleted_at >= i.valid_from
    union all
    select i.source_relation, i.principal_type, i.principal_id, i.object_type, i.object_id,
        i.valid_from, d.deleted_at
    from intervals as i
    join deletions as d
        on d.source_relation = i.source_relation and d.object_id = i.object_id
        and d.deleted_at >= i.valid_from
),

first_deletion as (
    select source_relation, principal_type, principal_id, object_type, object_id, valid_from,
        min(deleted_at) as deleted_at
    from deletion_hits
    group by source_relation, principal_type, principal_id, object_type, object_id, valid_from
),

closed as (
    select
        i.*,
        fd.deleted_at,
        c.principal_id is not null as held_now
    from intervals as i
    left join first_deletion as fd
        on fd.source_relation = i.source_relation and fd.principal_type = i.principal_type
        and fd.principal_id = i.principal_id and fd.object_type = i.object_type
        and fd.object_id = i.object_id and fd.valid_from = i.valid_from
    left join current_pairs as c
        on c.source_relation = i.source_relation and c.principal_type = i.principal_type
        and c.principal_id = i.principal_id and c.object_type = i.object_type
        and c.object_id = i.object_id
),

ended as materialized (
    select
        c.source_relation, c.principal_type, c.principal_id, c.object_type, c.object_id,
        c.valid_from,
        case
            when c.deleted_at is not null and (c.valid_to is null or c.deleted_at < c.valid_to) then c.deleted_at
            when c.valid_to is null and not c.held_now then greatest(b.history_end, c.valid_from)
            else c.valid_to
        end as valid_to,
        case
            when c.deleted_at is not null and (c.valid_to is null or c.deleted_at < c.valid_to) then 'deletion'
            when c.valid_to is not null then 'event'
            when not c.held_now then 'complete read'
        end as closed_by,
        c.source_event_id,
        c.known_how
    from closed as c
    left join bounds as b on b.source_relation = c.source_relation
),

-- How a user holds an app: through a group when, at valid_from, they were a member of a
-- group the app was assigned to; else directly. Other rows are direct grants. Joined from
-- the intervals the log opened (known_how null), so the work grows with the changes, not
-- with every membership times every group assignment.
via_group as (
    select distinct e.source_relation, e.principal_id, e.object_id, e.valid_from
    from ended as e
    join ended as m
        on m.source_relation = e.source_relation and m.principal_type = 'user'
        and m.object_type = 'group' and m.principal_id = e.principal_id
        and m.valid_from <= e.valid_from and (m.valid_to is null or m.valid_to > e.valid_from)
    join ended as g
        on g.source_relation = e.source_relation and g.principal_type = 'group'
        and g.object_type = 'app' and g.principal_id = m.object_id and g.object_id = e.object_id
        and g.valid_from <= e.valid_from and (g.valid_to is null or g.valid_to > e.valid_from)
    where e.principal_type = 'user' and e.object_type = 'app' and e.known_how is null
),

with_how as (
    select
        e.*,
        case
            when e.known_how is not null then e.known_how
            when v.principal_id is not null then 'group'
            else 'direct'
        end as how
    from ended as e
    left join via_group as v
        on e.principal_type = 'user' and e.object_type = 'app'
        and v.source_relation = e.source_relation and v.principal_id = e.principal_id
        and v.object_id = e.object_id and v.valid_from = e.valid_from
    where e.valid_to is null or e.valid_to > e.valid_from
)

select
    source_relation || ':' || principal_type || ':' || principal_id || ':' || object_type || ':'
        || object_id || ':' || cast(valid_from as {{ okta_text_type() }}) as history_key,
    source_relation,
    principal_type,
    principal_id,
    object_type,
    object_id,
    how,
    valid_from,
    valid_to,
    case when source_event_id is null then 'first complete read' else 'system log' end as source,
    source_event_id,
    closed_by
from with_how
