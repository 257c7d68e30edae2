"""The phone simulator: a phone that talks to the gateway as the providers do.

`webhooks.py` builds each provider's requests (signed, with tokens), `voice_markup.py` reads
voice replies as a caller hears them, `phone.py` keeps a USSD session, a call and an SMS
thread, `terminal.py` is `flask --app gateway phone`; the console's Simulator page
(`console/simulator_views.py`) drives the same phone from a browser. It writes only through
the public webhooks; what else it reads (the phone book, a number's SMS, a call back ringing)
comes through its one read-only door, `window.py`.
"""
