"""``python -m spikerules``: the same as the ``spikerules`` command."""

import sys

from spikerules.cli import main

sys.exit(main())
