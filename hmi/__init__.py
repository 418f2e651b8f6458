"""IPC Update Console: an operator console for the IpcUpdater gRPC service.

Layers (enforced by import-linter in `make test`):
  hmi.core  Qt-free: snapshot model, approval gate, grpc.aio client, config, audit, error texts
  hmi.mock  Qt-free: stage engine, scenarios, mock IpcUpdater and control servers
  hmi.ui    PySide6: console window and widgets, a view over hmi.core
  hmi.cli   the `ipc-hmi` entry point; each subcommand imports its layer lazily
  hmi.pb    generated protobuf and gRPC modules (`make proto`)
"""

__version__ = "0.1.0"
