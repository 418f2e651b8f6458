"""`python -m hmi` is the same as the `ipc-hmi` command."""

import sys

from hmi.cli import main

sys.exit(main())
