"""`python -m local serve`: the same as the `ecrm` command."""

import sys

from local.cli import main

if __name__ == "__main__":
    sys.exit(main())
