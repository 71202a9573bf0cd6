-- Where Okta streams the System Log (opt-in stream log_streams), and whether it still does.
{{ okta_stg_live('log_streams', [
    ('id', 'log_stream_id', 'text'),
    ('name', 'log_stream_name', 'text'),
    ('type', 'log_stream_type', 'text'),
    ('status', 'log_stream_status', 'text'),
    ('settings', 'settings', 'json'),
    ('created', 'created', 'timestamp'),
    ('lastUpdated', 'last_updated', 'timestamp'),
]) }}
