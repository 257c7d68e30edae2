"""Talking to phones: every SMS out goes through the outbox (outbox.py) and every SMS in through
the inbox (inbox.py); the missed-call number's call backs (callbacks.py) are claimed as outbox
rows are (claims.py); the reads of all of them (queries.py).
"""
