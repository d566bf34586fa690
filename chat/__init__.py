"""The chat backend's decisions, free of Azure Functions.

Every module here takes plain values (binding strings, parsed dataclasses,
settings passed in) and returns frozen dataclasses. Nothing here does I/O,
reads settings at import time or imports ``azure.functions``: the
``blueprints`` package translates between these values and the bindings.
"""
