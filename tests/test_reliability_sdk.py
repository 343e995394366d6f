"""The real anthropic / openai SDK backends against the local fault server (evals/fault_server.py):
every scripted fault ends with every item accounted for, none paid twice, no wrong answer."""

import pytest

from evals.fault_server import BATCH_MODES, ONLINE_FAULTS, FaultScript
from evals.reliability_sdk import TIMEOUT_S, auth_trial, expected_values, facet_jobs, pipeline_trial, sdk_trial

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def jobs():
    jobs = facet_jobs(4)
    return jobs, expected_values(jobs)


def check(row):
    assert row["error"] is None, row["error"]
    assert row["items_in"] == row["items_out"] + row["failed"] and row["unaccounted"] == 0, row
    assert row["wrong"] == 0 and row["paid_twice"] == 0, row


@pytest.mark.parametrize("api", ["anthropic", "openai"])
@pytest.mark.parametrize("kind", ONLINE_FAULTS)
def test_each_online_fault_is_survived_through_the_sdk(jobs, tmp_path, api, kind):
    row = sdk_trial(api, FaultScript(kinds=(kind,), share=0.5, slow_s=2 * TIMEOUT_S), *jobs, tmp_path)
    check(row)
    assert row["faults"] > 0 and row["failed"] == 0 and row["rerun_requests"] == 0  # faults were injected, all retried away, rerun from cache


@pytest.mark.parametrize("api", ["anthropic", "openai"])
def test_a_fault_that_never_clears_is_recorded_per_item(jobs, tmp_path, api):
    row = sdk_trial(api, FaultScript(kinds=("server_error",), share=0.5, times=99), *jobs, tmp_path)
    check(row)
    assert row["failed"] > 0 and "gave up after" in row["first_failure"]
    assert row["rerun_requests"] > 0  # only the failed items are asked again on a rerun


@pytest.mark.parametrize("mode", BATCH_MODES)
def test_message_batches_that_expire_half_fail_or_are_cut_still_account_for_every_item(jobs, tmp_path, mode):
    row = sdk_trial("anthropic", FaultScript(batch=mode), *jobs, tmp_path, batch=True)
    check(row)
    assert row["failed"] == 0 and (row["faults"] > 0) == (mode != "ok")
    if mode == "expired":  # every request expired in the batch and was asked again online
        assert row["faults"] == row["items_in"] and row["batch_calls"] == 0
    else:
        assert row["batch_calls"] > 0


def test_a_rejected_key_is_one_configuration_line_on_each_api():
    for api, message in auth_trial().items():
        assert message.startswith(f"{api} backend: AuthenticationError") and "\n" not in message, message


def test_whole_pipeline_on_the_anthropic_backend_with_batches_and_faults(tmp_path):
    row = pipeline_trial(tmp_path)
    assert row["passed"], row
    assert row["items_in"] == row["items_out"] + row["failed"] and row["rerun_requests"] == 0
    assert sum(row["faults"].values()) > 0
