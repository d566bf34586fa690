"""Stopping the stand-in closes what the app opened, as the worker's process
ending does in Azure: no "Unclosed client session" on Ctrl+C."""

from tests.localhost.conftest import run


def test_stopping_the_stand_in_closes_the_apps_history_store(monkeypatch, azurite_tables):
    import function_app

    monkeypatch.setenv("ChatStorage", azurite_tables.connection_string)
    opened = []

    async def scenario(host):
        store = function_app.root.history_store()
        await store.latest("lobby", 1)  # its SDK client and HTTP session now exist
        opened.append(store)

    run(scenario, monkeypatch)
    assert opened[0]._client is None  # noqa: SLF001 (closed by the host's stop)
