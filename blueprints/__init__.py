"""Thin adapters: one blueprint per concern, no decisions.

Each decorated function decodes its binding values, calls a handler from the
``chat`` package and encodes the result.

Functions that do no blocking I/O are ``async def``: the worker runs them on
its event loop rather than in its thread pool. Those that read files or call
the service SDK are plain ``def``, so they never block the loop.

A blueprint module imports only ``azure.functions`` and ``bindings``; the
function bodies import the handlers they call. Indexing the app (the cold
start the worker does before any event) then costs about what importing
``azure.functions`` costs, and a function's code loads when it first runs.
"""
