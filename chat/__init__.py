"""The chat domain: rooms, users, settings, and what each event does.

The handlers take parsed events (``codec.events``) and return an
``EventOutcome``: a reply for the service and the output actions to send
(``codec``). Nothing here does I/O, reads settings at import time or imports
``azure.functions``: the ``blueprints`` translate to and from the bindings.
"""
