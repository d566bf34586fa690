"""Every binding string the app declares, in one place."""

# The hub is an app setting; `%name%` resolves it in every Web PubSub binding.
HUB_SETTING = "WebPubSubHub"
HUB = f"%{HUB_SETTING}%"

# An app setting holding a connection string, or the prefix of the
# identity-based settings `<name>__serviceUri`, `<name>__credential`, ...
CONNECTION = "WebPubSubConnectionString"

TRIGGER = "webPubSubTrigger"
CONNECTION_INFO = "webPubSubConnection"
CONTEXT = "webPubSubContext"
OUTPUT = "webPubSub"

# Set by App Service Authentication; the caller sets it itself when local.
USER_ID_EXPRESSION = "{headers.x-ms-client-principal-name}"
