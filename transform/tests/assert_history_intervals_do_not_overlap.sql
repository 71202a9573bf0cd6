-- For one principal and object, history intervals never overlap, and each ends after it
-- starts.
select a.*
from {{ ref('okta_access_history') }} as a
join {{ ref('okta_access_history') }} as b
    on a.source_relation = b.source_relation and a.principal_type = b.principal_type
    and a.principal_id = b.principal_id and a.object_type = b.object_type
    and a.object_id = b.object_id and a.valid_from < b.valid_from
    and (a.valid_to is null or a.valid_to > b.valid_from)
union all
select * from {{ ref('okta_access_history') }}
where valid_to is not null and valid_to <= valid_from
