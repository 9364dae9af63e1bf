"""The local runtime's --log-level reaches the functions' Powertools loggers."""

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPT = """
import logging, sys
from livequiz.local.logs import configure_logging
configure_logging(sys.argv[1])
from functions.logs import function_logger
logger = function_logger("probe")
logger.info("info line")
logger.warning("warning line")
logging.getLogger("botocore.auth").debug("signing line")
"""


def run_with_level(level: str, **environment: str) -> str:
    variables = {k: v for k, v in os.environ.items() if k != "POWERTOOLS_LOG_LEVEL"}
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, level],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPOSITORY,
        env=variables | environment | {"PYTHONPATH": str(REPOSITORY)},
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout + completed.stderr


def test_warning_level_hides_function_info() -> None:
    output = run_with_level("WARNING")
    assert "warning line" in output
    assert "info line" not in output


def test_debug_level_keeps_botocore_quiet() -> None:
    output = run_with_level("DEBUG")
    assert "info line" in output
    assert "signing line" not in output


def test_powertools_level_set_wins() -> None:
    output = run_with_level("WARNING", POWERTOOLS_LOG_LEVEL="INFO")
    assert "info line" in output
