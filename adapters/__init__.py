"""The imperative shell's outside world: clients for services the app calls itself."""
