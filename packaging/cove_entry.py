"""The bundle's entry point: exactly the `cove` console script (app.cli:main). No arguments opens the desktop app."""
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen child process must not re-run the CLI
    if sys.argv[1:2] == ["--cove-parse-worker"]:  # indexer/isolation.py starts parse workers like this when frozen
        from indexer.parse_worker import main as parse_worker

        sys.exit(parse_worker(int(sys.argv[2])))
    if sys.argv[1:2] == ["--cove-requantize"]:  # app/models/bundled_model.py re-encodes the bundled model like this
        from app.models.requantize import main as requantize

        sys.exit(requantize(sys.argv[2:]))
    from app.cli import main

    sys.exit(main())
