"""The app's infrastructure: how to reach Web PubSub, and the service SDK behind the gateway."""
