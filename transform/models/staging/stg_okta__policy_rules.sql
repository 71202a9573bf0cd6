-- Policy rules (opt-in stream policy_rules).
{{ okta_stg_live('policy_rules', [
    ('policyId', 'policy_id', 'text'),
    ('id', 'policy_rule_id', 'text'),
    ('type', 'rule_type', 'text'),
    ('name', 'rule_name', 'text'),
    ('status', 'rule_status', 'text'),
    ('priority', 'priority', 'bigint'),
    ('system', 'is_system', 'boolean'),
    ('conditions', 'conditions', 'json'),
    ('actions', 'actions', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
