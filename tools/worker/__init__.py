"""Drive the real Python worker library (azure-functions-runtime) as the host does."""
