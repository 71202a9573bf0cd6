-- API tokens' metadata (opt-in stream api_tokens; never a token's value). A token acts
-- with its user's admin rights; network_connection null or ANYWHERE: no IP restriction.
with live as (
{{ okta_stg_live('api_tokens', [
    ('id', 'api_token_id', 'text'),
    ('name', 'api_token_name', 'text'),
    ('clientName', 'client_name', 'text'),
    ('userId', 'user_id', 'text'),
    ('tokenWindow', 'token_window', 'text'),
    ('network', 'network', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
    ('expiresAt', 'expires_at', 'timestamp'),
]) }}
)

select
    live.*,
    {{ okta_json_text('network', 'connection') }} as network_connection
from live
