"""A local Azure Web PubSub service: a development tool, never deployed.

``python -m tools.webpubsub`` serves the data-plane REST API, client
WebSockets (raw, ``json.webpubsub.azure.v1`` and
``json.reliable.webpubsub.azure.v1``) and sends events to the configured event
handlers, so Microsoft's SDKs, ``func start`` and this app's Functions host stand-in all
work against it with no Azure and no .NET.
"""
