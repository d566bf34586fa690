"""A local host for the app: a development tool, not a product.

It serves the app's HTTP functions through the real Python worker and stands
in for the Web PubSub service (WebSocket clients, events, output actions) on
one loopback port, so the whole app runs end to end with no Azure. It covers
what this app uses of the service, not all of it: for full fidelity run
Microsoft's Web PubSub emulator with ``func start`` (see the README).
"""
