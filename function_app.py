"""The Functions app: create it and register one blueprint per concern."""

import azure.functions as func

from blueprints import broadcast, events, negotiate, page, presence, retention, webhook
from composition import Dependencies


def create_app(root: Dependencies | None = None) -> func.FunctionApp:
    """A new app with every blueprint registered, its functions served by ``root``.

    Without ``root`` the app gets its own, reading the process environment.
    """
    root = root if root is not None else Dependencies()
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    for module in (negotiate, events, webhook, broadcast, presence, page, retention):
        app.register_functions(module.blueprint(root))
    return app


root = Dependencies()
"""What the deployed app's functions depend on, built on first use."""
app = create_app(root)
