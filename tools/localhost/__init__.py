"""A local Functions host for the app: a development tool, not a product.

It serves the app's functions through the real Python worker library, as
``func start`` does, and plays the Web PubSub extension's part: negotiate
tokens, the trigger endpoint with its signature and abuse-protection checks,
the context binding, and output actions sent to the service's REST API. The
service itself is ``tools.webpubsub`` (or Microsoft's emulator, or Azure).
"""
