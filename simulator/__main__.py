"""``python -m simulator``: the same program as the ``sgsim`` command."""

import sys

from .cli import main

sys.exit(main())
