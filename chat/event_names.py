"""The names of the Web PubSub events the app handles: the one list everything reads.

The trigger functions (``blueprints.events``), the hub's event handler
settings (the azd hook ``infra/hooks/webpubsub_hub.py``, which loads this
file by its path), the local service's default handler and the tests all
read these tuples. Kept free of imports so that the stdlib-only hook can load
it without the app's packages.
"""

SYSTEM_EVENTS = ("connect", "connected", "disconnected")
"""The system events, each a trigger function of that name."""
USER_EVENTS = ("message", "join", "leave", "history", "delete", "typing")
"""The user events, each a trigger function of that name (the hub's user event pattern)."""
