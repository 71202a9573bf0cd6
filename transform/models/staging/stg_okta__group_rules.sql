-- Group rules (opt-in stream group_rules).
{{ okta_stg_live('group_rules', [
    ('id', 'group_rule_id', 'text'),
    ('name', 'group_rule_name', 'text'),
    ('type', 'group_rule_type', 'text'),
    ('status', 'group_rule_status', 'text'),
    ('conditions', 'conditions', 'json'),
    ('actions', 'actions', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
