"""PySide6 console: a view over hmi.core snapshots that emits intents and never calls gRPC itself."""
