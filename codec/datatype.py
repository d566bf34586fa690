"""The data type of a message, shared by events, replies and actions."""

from __future__ import annotations

import enum


class DataType(enum.StrEnum):
    """How a message's ``data`` is encoded on the wire."""

    TEXT = "text"
    JSON = "json"
    BINARY = "binary"

    @classmethod
    def parse(cls, value: object) -> DataType | None:
        """The data type named by ``value`` (any case), or None if it names none.

        The host sends ``Text``/``Json``/``Binary`` (PascalCase); callers of
        the broadcast route may send any case.
        """
        return _BY_NAME.get(value.lower()) if isinstance(value, str) else None

    @property
    def content_type(self) -> str:
        """The HTTP Content-Type the Web PubSub webhook uses for this type."""
        return _CONTENT_TYPES[self]


_BY_NAME = {t.value: t for t in DataType}
_CONTENT_TYPES = {
    DataType.TEXT: "text/plain",
    DataType.JSON: "application/json",
    DataType.BINARY: "application/octet-stream",
}
