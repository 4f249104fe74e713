"""Entry point of the PyInstaller bundle: the same `hktwin` command as the console script."""

import sys

from hktwin.cli import main

if __name__ == "__main__":
    sys.exit(main())
