"""The realtime layer at the bottom of Village: channel-group names, the per-user event
vocabulary (grouped by topic) and the one way to send to the channel layer.

It knows no domain: callers build the events and pick the recipients (Zulip's
`send_event_on_commit` is the model). It imports only Django, Channels, asgiref and
`config.outage` (to log an outage once).
"""
