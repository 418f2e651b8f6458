"""One way to write a small settings file so that a crash or a power cut leaves the old file or the new one,
never half of one: a temporary file in the same folder, fsynced, then renamed over the old one. Standard
library only; `tempfile` is imported at the first write (it pulls in shutil, bz2 and lzma)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def write_json(path: Path, value: Any, *, prefix: str) -> None:
    """Writes `value` as JSON to `path` atomically (creating its folder). Raises OSError; call it off the GUI
    thread, a slow disk may take a while."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".json", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fp:
            json.dump(value, fp)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
