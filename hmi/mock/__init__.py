"""Qt-free mock IPC: stage engine (injectable clock), scenarios, IpcUpdater and control servers."""
