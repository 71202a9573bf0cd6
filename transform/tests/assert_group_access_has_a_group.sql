-- A user who holds an app only through groups (scope GROUP) belongs to one of the groups
-- assigned to it: via_group_ids is not empty.
select *
from {{ ref('okta_app_access') }}
where scope = 'GROUP' and {{ okta_array_length('via_group_ids') }} = 0
