"""The bundle's entry point: exactly the `cove` console script (app.cli:main). No arguments opens the desktop app."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not re-run the CLI
    from app.cli import main

    sys.exit(main())
