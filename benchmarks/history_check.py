"""After a soak with history on: the table holds exactly the messages the app accepted, none twice.

The soak's clients record the message id of each reply the app gave a sender
(``{"type": "ack", "event": "message", ..., "messageId"}``) and the ids the
room members received. ``stored_rows`` reads every row of the history table
(azure-data-tables directly, not the app's store: the check must not share
the code it checks); ``compare`` sets the two side by side. A send the client
SDK resent after a cut reaches the app as a new event, so it may be stored
(and acknowledged) as a second message with the same text: that is no
fault, as long as what was acknowledged and what was stored are the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from adapters.tables import TABLE_NAME
from chat import history

SAMPLES = 3


async def stored_rows(connection: str, table: str = TABLE_NAME) -> dict[str, list[tuple[str, str]]]:
    """Every row of ``table``, by room (its partition): (message id, text) in the table's order."""
    from azure.core.exceptions import ResourceNotFoundError
    from azure.data.tables.aio import TableClient

    rows: dict[str, list[tuple[str, str]]] = {}
    async with TableClient.from_connection_string(connection, table) as client:
        try:
            async for row in client.list_entities(select=["PartitionKey", "RowKey", "Text"]):
                message = (history.id_of_row_key(row["RowKey"]), str(row.get("Text", "")))
                rows.setdefault(row["PartitionKey"], []).append(message)
        except ResourceNotFoundError:
            return {}  # no message was ever stored, so the app never made the table
    return rows


def compare(
    acknowledged: Mapping[str, Sequence[str]],
    stored: Mapping[str, Sequence[tuple[str, str]]],
    delivered: Mapping[str, Sequence[str]],
) -> dict[str, Any]:
    """Acknowledged ids against stored ones, by room; ``faults`` names every difference.

    ``acknowledged`` and ``delivered`` are message ids by room (an id may be
    acknowledged twice: a retried event gets its id again); ``stored`` is
    ``stored_rows``'s answer.
    """
    acked = {f"{room}/{mid}" for room, ids in acknowledged.items() for mid in ids}
    rows = [f"{room}/{mid}" for room, found in stored.items() for mid, _ in found]
    kept = set(rows)
    sent = {f"{room}/{mid}" for room, ids in delivered.items() for mid in ids}
    faults = []
    if len(rows) != len(acked):
        faults.append(f"the table holds {len(rows)} messages, the app acknowledged {len(acked)}")
    twice = {mid for mid, n in Counter(r.split("/", 1)[1] for r in rows).items() if n > 1}
    for what, ids in (
        ("acknowledged but not in the table", acked - kept),
        ("in the table but never acknowledged", kept - acked),
        ("delivered to the room but not in the table", sent - kept),
        ("ids in the table more than once", twice),
    ):
        if ids:
            faults.append(f"{len(ids)} {what}, for example {', '.join(sorted(ids)[:SAMPLES])}")
    texts = Counter(text for found in stored.values() for _, text in found)
    return {
        "acknowledged": len(acked),
        "stored": len(rows),
        "rooms": len(stored),
        # Rows whose text another row has too: a client's resend stored as a new message.
        "storedAgain": sum(n - 1 for n in texts.values()),
        "acknowledgedIds": sorted(acked),
        "storedIds": sorted(rows),
        "faults": faults,
    }


def describe(check: Mapping[str, Any]) -> str:
    """The comparison in words."""
    verdict = "the same ids" if not check["faults"] else "DIFFERENT: " + "; ".join(check["faults"])
    return (
        f"history table after the phase: {check['stored']} messages in {check['rooms']} rooms, "
        f"{check['acknowledged']} acknowledged to their senders, {verdict}; "
        f"{check['storedAgain']} resends stored as new messages"
    )
