"""Qt-free core: snapshot model, approval gate, grpc.aio client, config, audit trail, error texts."""
