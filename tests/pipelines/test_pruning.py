"""Pruning: the rules on curves written out by hand, and real searches whose pruned trials are read back from
MLflow and checked against the rule, alone, on two workers and after a kill."""

from __future__ import annotations

import subprocess

import pytest
from mlflow.tracking import MlflowClient

from pipelines.config import load_experiment
from pipelines.errors import ConfigError
from pipelines.pruning import Curve, MedianRule, SuccessiveHalvingRule, best_so_far
from reports.store.names import BEST_TRIAL_PARAM, PER_EPOCH, PRUNED_TAG
from reports.store.trials import best_finished, trials_frame
from tests.conftest import OBJECTIVE, TINY, write_experiment
from tests.processes import by_trial, runs, search, wait_until_training

HOPELESS = 1.0e-6  # a learning rate that leaves the digits at chance for every epoch of these searches


def _median(warmup=1, startup=2) -> MedianRule:
    return MedianRule("max", warmup, startup)


def test_the_median_rule_stops_a_trial_behind_the_median_of_complete_trials_after_the_warmup():
    others = [Curve((0.5, 0.7, 0.8), True), Curve((0.4, 0.6, 0.9), True), Curve((0.9,), False)]  # the last: pruned
    rule = _median(warmup=2)
    assert rule.verdict(1, 0.1, others) is None  # still warming up
    assert rule.verdict(2, 0.66, others) is None  # median of 0.7 and 0.6 is 0.65
    assert "median 0.65 of 2 complete trials" in rule.verdict(2, 0.64, others)
    # A trial that early stopping ended after 3 epochs counts with its best at epoch 5; a pruned one does not.
    assert rule.verdict(5, 0.86, others) is None and "median 0.85 of 2" in rule.verdict(5, 0.84, others)
    assert rule.verdict(2, 0.0, others[:1]) is None  # one complete trial, fewer than the startup's two


def test_the_median_rule_reads_curves_as_best_so_far_in_the_objective_s_direction():
    assert best_so_far([0.3, 0.5, 0.4, 0.6], "max") == (0.3, 0.5, 0.5, 0.6)
    assert best_so_far([3.0, 1.0, 2.0], "min") == (3.0, 1.0, 1.0)
    losses = [Curve((1.0, 0.5), True), Curve((2.0, 0.7), True)]
    rule = MedianRule("min", 1, 2)
    assert rule.verdict(2, 0.55, losses) is None and rule.verdict(2, 0.65, losses) is not None


def test_successive_halving_keeps_the_best_third_at_rungs_warmup_times_three():
    rule = SuccessiveHalvingRule("max", 2, 2)
    assert [e for e in range(1, 40) if rule.judges_at(e)] == [2, 6, 18]
    reached = [Curve(tuple([v] * 6), False) for v in (0.9, 0.8, 0.7, 0.6, 0.5)]  # running ones count
    assert rule.verdict(6, 0.85, reached) is None  # second of six: the best third keeps two
    assert "not in the best 2 of the 6 trials" in rule.verdict(6, 0.75, reached)
    assert rule.verdict(5, 0.0, reached) is None  # not a rung
    assert rule.verdict(18, 0.0, reached) is None  # no other trial reached epoch 18 yet
    assert rule.verdict(2, 0.0, reached[:1]) is None  # fewer than the startup's two reached the rung


@pytest.mark.parametrize(
    "tuner, message",
    [
        ({"algorithm": "hyperband", "pruning": "median"}, "tuner.pruning: hyperband stops losing models by design"),
        (
            {"pruning": "successive_halving", "executions_per_trial": 2},
            "tuner.pruning: a trial is judged by its one learning curve",
        ),
        ({"pruning": "early"}, "tuner.pruning"),
        ({"pruning_warmup_epochs": 3}, "tuner.pruning_warmup_epochs: applies with pruning"),
    ],
)
def test_pruning_where_it_cannot_act_is_refused_with_the_key(tmp_path, tuner, message):
    path = write_experiment(tmp_path, tuner={"algorithm": "random", "max_trials": 2, **tuner})
    with pytest.raises(ConfigError, match=message):
        load_experiment(path)


def _hopeless_last(tmp_path, name: str, epochs: int = 6, **tuner):
    """A grid of four: two learning rates that learn, then two that leave the model at chance."""
    return write_experiment(
        tmp_path,
        name=name,
        search_space={
            **TINY["search_space"],
            "optimizer": "adam",
            "learning_rate": [0.01, 0.005, HOPELESS, HOPELESS / 2],
        },
        tuner={
            "algorithm": "grid",
            "max_trials": 4,
            "epochs": epochs,
            "patience": 0,
            "pruning": "median",
            "pruning_warmup_epochs": 1,
            "pruning_startup_trials": 2,
            **tuner,
        },
    )


def _curves(client, children, objective="val_accuracy"):
    return {
        c.info.run_id: [
            m.value
            for m in sorted(client.get_metric_history(c.info.run_id, PER_EPOCH + objective), key=lambda m: m.step)
        ]
        for c in children
    }


def _finished(tmp_path, path, *extra):
    proc = search(path, *extra)
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err[-3000:]
    return out


def _check_best_is_the_best_score(tmp_path, name):
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    parents, _ = runs(tmp_path, name)
    trials = trials_frame(client, parents[0].info.run_id, "max")
    assert parents[0].data.params[BEST_TRIAL_PARAM] == best_finished(trials)["trial_id"]
    assert (
        trials.loc[trials["status"].isin(["FINISHED", "PRUNED"]), "objective"].max()
        == trials.loc[trials["trial_id"] == parents[0].data.params[BEST_TRIAL_PARAM], "objective"].iloc[0]
    )
    return trials


@pytest.mark.slow
def test_a_trial_is_pruned_at_the_epoch_the_median_rule_says_read_back_from_mlflow(tmp_path):
    out = _finished(tmp_path, _hopeless_last(tmp_path, "pruned"))
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlflow.db")
    _, children = runs(tmp_path, "pruned")
    children = sorted(children, key=lambda c: c.info.start_time)
    curves = _curves(client, children)
    rule = MedianRule("max", 1, 2)
    for k, child in enumerate(children):  # one process: every earlier trial had ended when this one started
        earlier = [
            Curve(best_so_far(curves[c.info.run_id], "max"), PRUNED_TAG not in c.data.tags) for c in children[:k]
        ]
        best = best_so_far(curves[child.info.run_id], "max")
        expected = next((e for e in range(1, len(best) + 1) if rule.verdict(e, best[e - 1], earlier)), None)
        assert child.info.status == "FINISHED"
        assert child.data.tags.get(PRUNED_TAG) == (None if expected is None else str(expected)), k
        assert child.data.metrics[OBJECTIVE] == max(curves[child.info.run_id])  # its best so far, kept
    statuses = {c.data.tags["trial_id"]: PRUNED_TAG in c.data.tags for c in children}
    assert statuses == {"0": False, "1": False, "2": True, "3": True}
    assert "trial 2 pruned at epoch 1" in " ".join(out.split())
    trials = _check_best_is_the_best_score(tmp_path, "pruned")
    assert sorted(trials.loc[trials["status"] == "PRUNED", "pruned_at"]) == [1, 1]
    report = next((tmp_path / "tuner").glob("*/report.pdf"))
    text = " ".join(subprocess.run(["pdftotext", str(report), "-"], capture_output=True, text=True).stdout.split())
    assert "4: 2 finished, 2 pruned (median rule, judged from epoch 1)" in text
    assert "2 pruned (stopped where they were losing to the other trials), left out of this diagnosis" in text


@pytest.mark.slow
def test_pruning_on_two_workers_judges_against_the_trials_the_store_holds(tmp_path):
    """Trials 0 and 1 start together, one on each worker. The last trial starts only once two others have ended,
    so it is pruned at its first epoch whichever worker trained them; trial 2 starts after one has ended, and
    is pruned at epoch 1 only if the other had also ended by then (how the workers share the cores decides)."""
    _finished(tmp_path, _hopeless_last(tmp_path, "workers", epochs=8), "--workers", "2")
    _, children = runs(tmp_path, "workers")
    trials = {c.data.tags["trial_id"]: c for c in children}
    pruned = {trial_id: c.data.tags.get(PRUNED_TAG) for trial_id, c in trials.items()}
    assert sorted(pruned) == ["0", "1", "2", "3"] and pruned["0"] is None and pruned["1"] is None
    assert pruned["3"] == "1", pruned
    ended_before_2 = [c for c in children if c.info.end_time < trials["2"].info.start_time]
    assert len(ended_before_2) in (1, 2)
    if len(ended_before_2) == 2:
        assert pruned["2"] == "1", pruned
    _check_best_is_the_best_score(tmp_path, "workers")


@pytest.mark.slow
def test_resume_after_a_kill_carries_a_pruned_search_on(tmp_path):
    path = _hopeless_last(tmp_path, "signals", epochs=12)
    proc = search(path)
    wait_until_training(tmp_path, proc, finished_trials=1)
    proc.kill()
    proc.wait(timeout=60)
    _finished(tmp_path, path, "--resume")
    _, children = runs(tmp_path, "signals")
    statuses = by_trial(children)
    assert statuses["0"] == ["FINISHED"] and statuses["1"] == ["FINISHED", "KILLED"]
    pruned = {c.data.tags["trial_id"]: c.data.tags.get(PRUNED_TAG) for c in children if c.info.status == "FINISHED"}
    assert pruned == {"0": None, "1": None, "2": "1", "3": "1"}
    _check_best_is_the_best_score(tmp_path, "signals")
