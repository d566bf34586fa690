"""The Functions app: create it and register one blueprint per concern."""

import azure.functions as func

from blueprints import broadcast, events, negotiate, page, presence, webhook


def create_app() -> func.FunctionApp:
    """A new app with every blueprint registered (tests index fresh ones)."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    for blueprint in (negotiate.bp, events.bp, webhook.bp, broadcast.bp, presence.bp, page.bp):
        app.register_functions(blueprint)
    return app


app = create_app()
