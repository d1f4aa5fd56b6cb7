"""`python -m studio`: the command line (no arguments opens the GUI)."""

from studio.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
