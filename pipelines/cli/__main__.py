"""``python -m pipelines.cli``: the same command as the ``omniroute`` console script."""

import sys

from pipelines.cli import main

sys.exit(main())
