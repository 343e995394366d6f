"""The suite's own rules (tests/conftest.py): under CI=true a skip fails the run; slow and live
tests are deselected unless asked for, so they never appear as skips."""

from pathlib import Path

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()
PROBE = """
import pytest

def test_missing_part():
    pytest.skip("no chromium")

@pytest.mark.slow
def test_long():
    pass

def test_plain():
    pass
"""


def run(pytester, monkeypatch, **env):
    for name in ("CI", "RUN_SLOW", "RUN_LIVE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_probe=PROBE)
    return pytester.runpytest_subprocess("-q")


def test_a_skip_fails_under_ci(pytester, monkeypatch):
    result = run(pytester, monkeypatch, CI="true")
    result.assert_outcomes(passed=1, failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*skipped under CI=true*no chromium*"])


def test_a_skip_stays_a_skip_outside_ci(pytester, monkeypatch):
    run(pytester, monkeypatch).assert_outcomes(passed=1, skipped=1, deselected=1)


def test_slow_tests_run_when_asked(pytester, monkeypatch):
    run(pytester, monkeypatch, RUN_SLOW="1").assert_outcomes(passed=2, skipped=1)
