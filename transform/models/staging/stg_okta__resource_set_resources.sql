-- The resources each resource set covers (opt-in stream resource_set_resources).
{{ okta_stg_live('resource_set_resources', [
    ('resourceSetId', 'resource_set_id', 'text'),
    ('id', 'resource_id', 'text'),
    ('orn', 'orn', 'text'),
    ('conditions', 'conditions', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
