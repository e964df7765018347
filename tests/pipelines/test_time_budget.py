"""A time budget: trials are started until it is spent, and `--resume` carries on with what is left."""

from __future__ import annotations

import time

import pytest

from pipelines.config import load_experiment, with_time_budget
from pipelines.errors import ConfigError
from pipelines.time_budget import TimeBudget, seconds_of
from reports.store.names import BUDGET_SPENT
from reports.store.opening import open_store
from tests import processes
from tests.conftest import TINY, write_experiment


@pytest.mark.parametrize(
    ("written", "seconds"), [(20, 20.0), ("20", 20.0), ("90s", 90.0), ("30m", 1800.0), ("1.5h", 5400.0)]
)
def test_a_duration_reads_as_seconds(written, seconds):
    assert seconds_of(written) == seconds


@pytest.mark.parametrize("written", ["10 minutes", "-5", 0, True, "2d"])
def test_a_duration_that_is_not_one_is_refused_with_the_forms_it_takes(written):
    with pytest.raises(ValueError):
        seconds_of(written)


def test_a_budget_alone_bounds_no_count_of_trials_and_max_trials_written_still_bounds_it(tmp_path):
    alone = load_experiment(write_experiment(tmp_path, tuner={"time_budget": "2m"}))
    assert (alone.tuner.time_budget, alone.tuner.max_trials) == (120.0, None)
    both = load_experiment(write_experiment(tmp_path, tuner={"time_budget": 60, "max_trials": 3}))
    assert (both.tuner.time_budget, both.tuner.max_trials) == (60.0, 3)
    neither = load_experiment(write_experiment(tmp_path, tuner={}))
    assert (neither.tuner.time_budget, neither.tuner.max_trials) == (None, 10)


def test_the_command_lines_budget_wins_and_lifts_the_default_count_only(tmp_path):
    default_count = load_experiment(write_experiment(tmp_path, tuner={}))
    assert with_time_budget(default_count, "5m").tuner.model_dump()["max_trials"] is None
    written = load_experiment(write_experiment(tmp_path, tuner={"max_trials": 4}))
    assert with_time_budget(written, "30").tuner.max_trials == 4
    with pytest.raises(ConfigError, match="--time-budget: 'soon' is not a duration"):
        with_time_budget(written, "soon")


def test_a_bad_budget_in_the_file_names_the_key_and_the_forms(tmp_path):
    with pytest.raises(ConfigError, match=r"tuner\.time_budget: '10 minutes' is not a duration; write seconds"):
        load_experiment(write_experiment(tmp_path, tuner={"time_budget": "10 minutes"}))


def test_a_budget_counts_what_earlier_attempts_spent_and_records_each_ask():
    recorded = []
    budget = TimeBudget(10.0, spent_before=9.9, record=recorded.append)
    assert budget.allows_a_trial()
    time.sleep(0.15)
    assert not budget.allows_a_trial()
    assert recorded[0] >= 9.9 and recorded[1] >= 10.0 and budget.left() == 0.0


BUDGET_S = 20.0


def _budget_points(tmp_path, name: str, parent_id: str) -> list:
    client = open_store(f"sqlite:///{tmp_path}/mlflow.db")
    return sorted(client.get_metric_history(parent_id, BUDGET_SPENT), key=lambda m: m.step)


def _kill_once_trials_finished(path, count: int) -> None:
    search = processes.search(path)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert search.poll() is None, "the search ended before it was killed: " + search.communicate()[1][-2000:]
        children = processes.runs(path.parent, path.stem)[1] if (path.parent / "mlflow.db").exists() else []
        if sum(c.info.status == "FINISHED" for c in children) >= count:
            search.kill()
            search.wait(timeout=60)
            return
        time.sleep(0.2)
    pytest.fail(f"the search never finished {count} trials")


@pytest.mark.slow
def test_a_search_under_a_time_budget_starts_trials_until_it_is_spent_and_a_resume_runs_only_what_is_left(
    tmp_path,
):
    name = "budget"
    space = {**TINY["search_space"], "learning_rate": {"min": 1e-3, "max": 1e-1, "sampling": "log"}}
    path = write_experiment(
        tmp_path, name=name, search_space=space, tuner={"time_budget": BUDGET_S, "epochs": 2, "patience": 0}
    )
    _kill_once_trials_finished(path, 2)  # killed half-way through the budget
    parents, first_children = processes.runs(tmp_path, name)
    points_before = _budget_points(tmp_path, name, parents[0].info.run_id)
    spent_before = points_before[-1].value
    assert 0 < spent_before < BUDGET_S

    resumed = processes.search(path, "--resume")
    _, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    parents, children = processes.runs(tmp_path, name)
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    points = _budget_points(tmp_path, name, parents[0].info.run_id)
    carried = [p for p in points if p.timestamp > points_before[-1].timestamp]
    # The resumed attempt carried on the clock: it started from what the killed one had spent, not from zero.
    assert carried[0].value >= spent_before
    # Trials were asked for while the budget lasted, and the last ask found it spent.
    assert all(p.value < BUDGET_S for p in points[:-1]) and points[-1].value >= BUDGET_S
    # Every trial of the resumed attempt started before the budget ran out, none after.
    new_runs = [c for c in children if c.info.run_id not in {r.info.run_id for r in first_children}]
    assert new_runs, "the resume trained the trial the kill cut off, at least"
    assert all(c.info.start_time <= points[-1].timestamp for c in new_runs)
    # The resumed attempt ran only what was left: its trials started within the budget left plus one trial
    # (the one under way when it ran out finishes), measured from its first ask.
    longest_trial_s = max((c.info.end_time - c.info.start_time) / 1000 for c in children if c.info.end_time)
    span_s = (max(c.info.start_time for c in new_runs) - carried[0].timestamp) / 1000
    assert span_s <= BUDGET_S - spent_before + longest_trial_s
    finished = [c for c in children if c.info.status == "FINISHED"]
    assert len(finished) > 1
