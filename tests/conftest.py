import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_collection_modifyitems(config, items):
    run_slow = os.environ.get("RUN_SLOW") == "1"
    run_live = os.environ.get("RUN_LIVE") == "1"
    for item in items:
        if "slow" in item.keywords and not run_slow:
            item.add_marker(pytest.mark.skip(reason="slow: set RUN_SLOW=1"))
        if "live" in item.keywords and not run_live:
            item.add_marker(pytest.mark.skip(reason="live provider call: set RUN_LIVE=1"))
