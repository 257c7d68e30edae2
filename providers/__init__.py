"""The provider edge: one module per provider and channel, its webhooks in and its sender out.

Each adapter checks a request (security.py), reads its fields (edge.py), asks
`conversations/` and renders the answer in its provider's format; what SMS and voice share is
in sms.py and voice.py, the missed-call number's part in missed_calls.py, the registry of
senders and callers in senders.py. No SQL, no menu logic.
"""
