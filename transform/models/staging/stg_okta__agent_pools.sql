-- AD and LDAP agent pools (opt-in stream agent_pools) and their agents' health.
{{ okta_stg_live('agent_pools', [
    ('id', 'agent_pool_id', 'text'),
    ('name', 'agent_pool_name', 'text'),
    ('type', 'agent_pool_type', 'text'),
    ('operationalStatus', 'operational_status', 'text'),
    ('disruptedAgents', 'disrupted_agents', 'bigint'),
    ('inactiveAgents', 'inactive_agents', 'bigint'),
    ('agents', 'agents', 'json'),
]) }}
