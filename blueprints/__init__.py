"""Thin adapters: one blueprint per concern, no decisions.

Each module's ``blueprint(root)`` declares its functions with their
bindings. A function decodes its binding values, calls the decision in
``chat`` or ``routes`` with what it needs from the composition root
(``composition.Dependencies``), and encodes the result.

Functions that do no blocking I/O are ``async def``: the worker runs them on
its event loop rather than in its thread pool. Those that read files or call
the service SDK are plain ``def``, so they never block the loop (the event
functions run the SDK's roster read on a thread: see ``chat.shell``).

A blueprint module imports only ``azure.functions``, ``bindings``, the
composition root and ``chat.event_names`` (two tuples, no imports); the
function bodies import the code they call. Indexing the app (the cold start
the worker does before any event) then costs about what importing
``azure.functions`` costs, and a function's code loads when it first runs.
"""
