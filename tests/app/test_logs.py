"""The log file (app/logs.py): owner-only in the data dir, bounded by rotation, one set-up per data dir, a CLI
failure leaves its traceback there (not on the terminal), `cove status` names it, and logging never opens a socket."""
from __future__ import annotations

import json
import logging
import logging.handlers
import stat
import sys
from pathlib import Path

import pytest

from app import logs
from app.cli import main


@pytest.fixture(autouse=True)
def _no_leftover_handlers():
    """Each test starts and ends without Cove's handlers on the root logger (other tests configure through `main`)."""
    def drop() -> None:
        root = logging.getLogger()
        for h in list(root.handlers):
            if isinstance(h, (logs.OwnerOnlyRotatingFileHandler, logs._CurrentStderr)):
                root.removeHandler(h)
                h.close()

    drop()
    yield
    drop()


def _flush() -> None:
    for h in logging.getLogger().handlers:
        h.flush()


def _ours() -> list[logs.OwnerOnlyRotatingFileHandler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, logs.OwnerOnlyRotatingFileHandler)]


def test_log_file_is_owner_only_in_the_data_dir_and_made_on_first_record(cove_data_dir: Path):
    path = logs.configure()
    assert path == cove_data_dir / "logs" / "cove.log"
    assert not path.exists()  # nothing logged yet: no file (a command that logs nothing leaves nothing)
    logging.getLogger("app.test").info("an event")
    _flush()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.parent.parent.stat().st_mode) == 0o700
    assert "INFO app.test [MainThread] an event" in path.read_text()
    assert logs.configure() == path and len(_ours()) == 1  # idempotent


def test_rotation_bounds_the_size_and_keeps_copies_owner_only(cove_data_dir: Path):
    path = logs.configure()
    handler = _ours()[0]
    assert (handler.maxBytes, handler.backupCount) == (logs.MAX_BYTES, logs.BACKUPS) == (1_000_000, 3)
    handler.maxBytes = 4_000  # the same mechanism, quicker
    log = logging.getLogger("indexer.test")
    try:
        raise RuntimeError("a failure with a traceback")
    except RuntimeError:
        log.exception("indexing a folder failed")
    _flush()
    traceback_record = path.stat().st_size
    log.info("the language model was unloaded after 600 s without questions")
    _flush()
    info_line = path.stat().st_size - traceback_record
    print(f"\nbytes per logged failure with traceback: {traceback_record}; per INFO line: {info_line}")
    for i in range(200):
        log.info("event %d of a long session", i)
    _flush()
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["cove.log", "cove.log.1", "cove.log.2", "cove.log.3"]
    for p in path.parent.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600 and p.stat().st_size <= 4_000 + 200


def test_another_data_dir_moves_the_log(cove_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = logs.configure()
    monkeypatch.setenv("COVE_DATA_DIR", str(tmp_path / "other"))
    second = logs.configure()
    assert second == tmp_path / "other" / "logs" / "cove.log" != first
    assert [Path(h.baseFilename) for h in _ours()] == [second]


def test_level_from_env_and_third_party_stays_quiet(cove_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COVE_LOG_LEVEL", "debug")
    path = logs.configure()
    logging.getLogger("app.x").debug("debug from Cove")
    logging.getLogger("some_library").info("info from a library")
    logging.getLogger("some_library").warning("warning from a library")
    _flush()
    text = path.read_text()
    assert "debug from Cove" in text and "warning from a library" in text and "info from a library" not in text
    monkeypatch.setenv("COVE_LOG_LEVEL", "chatty")  # not a level: the default
    assert logs.level_from_env() == logging.INFO
    monkeypatch.delenv("COVE_LOG_LEVEL")
    logs.configure()
    logging.getLogger("app.x").debug("hidden at the default level")
    _flush()
    assert "hidden at the default level" not in path.read_text()


def test_unwritable_data_dir_does_not_disturb_the_terminal(cove_data_dir: Path, capsys: pytest.CaptureFixture[str]):
    path = logs.configure()
    path.parent.parent.mkdir(parents=True)
    path.parent.write_text("a file where the logs folder should be")  # the log cannot be opened
    logging.getLogger("app.x").error("lost")
    assert "Logging error" not in capsys.readouterr().err


def test_cli_failure_goes_to_the_log_with_its_traceback_not_to_the_terminal(cove_data_dir: Path,
                                                                           capsys: pytest.CaptureFixture[str],
                                                                           monkeypatch: pytest.MonkeyPatch):
    import app.cli as cli

    def broken(_args):  # type: ignore[no-untyped-def]
        raise RuntimeError("the store went away")

    monkeypatch.setitem(cli.COMMANDS, "status", broken)
    assert main(["status"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: the store went away" in err and "Traceback" not in err  # the CLI's one line, as before
    _flush()
    text = (cove_data_dir / "logs" / "cove.log").read_text()
    assert "ERROR app.cli [MainThread] cove status failed" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: the store went away" in text


def test_uncaught_exceptions_are_logged_then_handled_as_before(cove_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    import threading

    seen: list[str] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(f"thread {args.exc_value}"))
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, tb: seen.append(f"main {value}"))
    path = logs.configure()

    def work() -> None:
        raise OSError("the helper thread broke")

    t = threading.Thread(target=work, name="cove-helper")
    t.start()
    t.join()
    try:
        raise ValueError("a Qt slot broke")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)  # what PySide6 does with an exception from a slot
    _flush()
    text = path.read_text()
    assert "ERROR cove [" in text and "uncaught exception in thread cove-helper" in text
    assert "OSError: the helper thread broke" in text and "ValueError: a Qt slot broke" in text
    assert seen == ["thread the helper thread broke", "main a Qt slot broke"]  # the previous hooks still ran
    hooks = (sys.excepthook, threading.excepthook)
    logs.configure()
    assert (sys.excepthook, threading.excepthook) == hooks  # configured twice, wrapped once


def test_a_failed_cli_ask_is_logged_without_the_question(cove_data_dir: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]):
    import threading

    monkeypatch.setenv("COVE_NO_SERVER", "1")
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the model preload thread fails too
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    question = "What is the combination of the blue-heron-8812 safe?"
    assert main(["ask", question, "--model", str(bad)]) == 1
    assert "not a GGUF file" in capsys.readouterr().err
    _flush()
    text = (cove_data_dir / "logs" / "cove.log").read_text()
    assert "ERROR app.cli [MainThread] cove ask failed" in text and "GGUFError: bad.gguf is not a GGUF file" in text
    assert "blue-heron" not in text and question not in text


def test_status_names_the_log_file(cove_data_dir: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["log"] == str(cove_data_dir / "logs" / "cove.log")
    assert main(["status"]) == 0
    assert f"Log file:  {status['log']}" in capsys.readouterr().out


_socket_events: list[str] = []
_watching = False


def _audit(event: str, _args: tuple) -> None:
    if _watching and event.startswith("socket."):
        _socket_events.append(event)


sys.addaudithook(_audit)


def test_logging_never_opens_a_network_handler(cove_data_dir: Path, monkeypatch: pytest.MonkeyPatch):
    global _watching
    monkeypatch.setenv("COVE_LOG_LEVEL", "DEBUG")
    _watching = True
    try:
        logs.configure()
        log = logging.getLogger("app.privacy_check")
        log.debug("debug")
        log.warning("warning")
        try:
            raise ValueError("x")
        except ValueError:
            log.exception("failure")
        _flush()
    finally:
        _watching = False
    assert _socket_events == []
    network = (logging.handlers.SocketHandler, logging.handlers.SysLogHandler, logging.handlers.HTTPHandler,
               logging.handlers.SMTPHandler, logging.handlers.QueueHandler)
    for name in ("", *logs.OUR_LOGGERS):
        for h in logging.getLogger(name).handlers:
            assert not isinstance(h, network), h
    assert {type(h) for h in logging.getLogger().handlers if type(h).__module__ == "app.logs"} <= \
        {logs.OwnerOnlyRotatingFileHandler, logs._CurrentStderr}


def test_cove_serve_logs_to_the_file_and_status_through_it_names_it(tmp_path: Path):
    from tests.app.serve_helpers import Server, cove

    data = tmp_path / "served-data"
    server = Server(data, "--no-watch", "--lazy-model")
    try:
        server.wait_ready()
        out = cove(data, "status", "--json")
        assert out.returncode == 0, out.stderr
        status = json.loads(out.stdout)
        assert status["server"] is not None and status["log"] == str(data / "logs" / "cove.log")
    finally:
        server.stop()
    log = data / "logs" / "cove.log"
    text = log.read_text()
    assert f"INFO app.cli.serve [MainThread] serving {data}" in text and "serve: stopping" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
