"""Group rights from roles, wildcard roles included.

``webpubsub.joinLeaveGroup`` and ``webpubsub.sendToGroup`` grant every group,
and ``...Group.<name>`` one group (``Connection.may``). The service also knows
pattern roles, ``webpubsub.joinLeaveGroups.<pattern>`` and
``webpubsub.sendToGroups.<pattern>``: ``*`` matches within one dot-separated
segment, ``**`` across segments, ``?`` one character other than a dot;
matching is case-sensitive.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tools.webpubsub.state import Connection, Permission


def allowed(conn: Connection, permission: Permission, group: str) -> bool:
    """Whether ``conn`` may ``joinLeaveGroup`` or ``sendToGroup`` for ``group``."""
    if conn.may(permission, group):
        return True
    prefix = f"webpubsub.{permission}s."
    return any(
        _pattern(role[len(prefix) :]).fullmatch(group) for role in conn.roles if role.startswith(prefix)
    )


@lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wildcards = {"**": ".*", "*": r"[^.]*", "?": r"[^.]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts), re.DOTALL)
