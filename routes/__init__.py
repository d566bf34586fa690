"""The HTTP routes' decisions: a request's values in, an ``HttpAnswer`` out.

Each module decides one route (negotiate, presence, broadcast, the events
webhook, the page). Calls to the service go through the ``WebPubSubGateway``
protocol (``routes.gateway``) handed in by the caller; nothing here imports
``azure.functions`` or the service SDK.
"""
