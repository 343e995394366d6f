import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Under CI=true a skipped test is a failure: a missing browser, local model, Ray or model package
# must not turn into a quietly thinner suite. Opt-in groups (slow, live) are deselected instead,
# so they never show up as skips.
IN_CI = os.environ.get("CI", "").lower() == "true"
OPT_IN = {"slow": "RUN_SLOW", "live": "RUN_LIVE"}


def pytest_collection_modifyitems(config, items):
    chosen, dropped = [], []
    for item in items:
        wanted = all(os.environ.get(flag) == "1" for marker, flag in OPT_IN.items() if marker in item.keywords)
        (chosen if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = chosen


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true (a component the suite needs is missing): {reason}"


def pytest_report_header(config):
    opted = [f"{marker} (set {flag}=1)" for marker, flag in OPT_IN.items() if os.environ.get(flag) != "1"]
    return [f"CI={'true: a skip is a failure' if IN_CI else 'false'}; not selected: {', '.join(opted) or 'nothing'}"]
