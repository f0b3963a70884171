"""The application log: UTC timestamps, one line per message, whatever a visitor typed."""

import logging

import pytest

from casebank import create_app
from casebank.app_logging import OneLineFormatter
from config import ConfigError, load_config


def record(message, *args, exc_info=None):
    return logging.LogRecord("casebank.test", logging.INFO, __file__, 1, message, args, exc_info)


def test_a_value_with_line_breaks_cannot_forge_a_second_line():
    typed = "ivory\n2026-12-02T10:00:00.000Z INFO casebank.auth login ok admin\r"
    line = OneLineFormatter().format(record("search for %s", typed))
    assert "\n" not in line and "\r" not in line
    assert "ivory\\x0a2026-12-02" in line and line.endswith("admin\\x0d")


def test_unicode_line_separators_are_escaped_too():
    line = OneLineFormatter().format(record("name %s", "a\u2028b\x85c"))
    assert "a\\x2028b\\x85c" in line


def test_timestamps_are_utc_iso_8601():
    entry = record("hello")
    entry.created = 0.0
    entry.msecs = 0.0
    line = OneLineFormatter().format(entry)
    assert line.startswith("1970-01-01T00:00:00.000Z INFO casebank.test [")


def test_a_traceback_still_follows_the_line():
    try:
        raise ValueError("boom")
    except ValueError as error:
        entry = record("failed", exc_info=(type(error), error, error.__traceback__))
    text = OneLineFormatter().format(entry)
    assert text.splitlines()[0].endswith("failed") and "ValueError: boom" in text


@pytest.mark.no_db
def test_outside_tests_the_app_logs_info_lines_to_stderr(data_dir, capfd):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        create_app("testing", {"TESTING": False})
        logging.getLogger("casebank.test").info("case %s published", "CB-1")
        assert "INFO casebank.test" in capfd.readouterr().err
    finally:
        root.handlers[:], root.level = handlers, level


def test_an_unknown_log_level_is_refused_at_start():
    with pytest.raises(ConfigError, match="CASEBANK_LOG_LEVEL"):
        load_config("development", {"CASEBANK_LOG_LEVEL": "LOUD"})
