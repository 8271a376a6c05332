"""Entry point for ``python -m sla``."""

import sys

from sla.cli import main

if __name__ == "__main__":
    sys.exit(main())
