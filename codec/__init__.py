"""The Web PubSub wire codec: what the extension hands the worker and what it reads back.

Events in (``events``), replies out (``replies``), output actions
(``actions``), message data types (``datatype``), the HTTP route's webhook
context (``webhook``) and the strict JSON every one of them reads and writes
(``strict_json``). No chat rules live here, and nothing here does I/O.
"""
