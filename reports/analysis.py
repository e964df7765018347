"""What the trials say: which hyperparameters mattered, what each did, what the curves show.

Every sentence is built from measured values; where the data cannot tell
(too few trials, differences within noise) the sentence says so.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy as np
import pandas as pd

from reports.store.names import EVIDENCE_LOSSES, OBJECTIVE_METRIC, PARAMETERS, evidence_loss
from reports.store.objectives import standing
from reports.verdict import capitalized, two_standard_errors
from reports.words import listed, metric_words, say, say_n

MIN_TRIALS_FOR_IMPORTANCE = 4


def finished_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """The trials that ended with a finite score: what effects and importance are fitted to."""
    ok = trials["status"].eq("FINISHED") & trials[OBJECTIVE_METRIC].map(lambda s: s is not None and math.isfinite(s))
    return trials[ok]


def chosen_among_ties(trials: pd.DataFrame, best_id: str, objective: str, direction: str, step) -> str | None:
    """How the best trial was chosen when others tied with it on the objective (within its `step`), in a
    sentence with the numbers that decided; None when it was ahead on the objective alone."""
    finished = trials[trials["status"].isin(["FINISHED", "PRUNED"])]

    def place(row) -> tuple:
        return standing(row[OBJECTIVE_METRIC], evidence_loss(row), row.get(PARAMETERS), direction, step)

    rows = {str(row["trial_id"]): (row, place(row)) for _, row in finished.iterrows()}
    if best_id not in rows:
        return None
    best, key = rows[best_id]
    tied = [(row, k) for trial_id, (row, k) in rows.items() if trial_id != best_id and k[0] == key[0]]
    if not tied:
        return None
    names = sorted([best_id, *(str(row["trial_id"]) for row, _ in tied)], key=lambda t: (len(t), t))
    within = say("ties.within", step=f"{step:.3g}") if step else say("ties.equal")
    said = say(
        "ties.tied",
        trials=capitalized(_named(names)),
        objective=objective,
        score=f"{best[OBJECTIVE_METRIC]:.4g}",
        trial=best_id,
        within=within,
    )
    loss_name = metric_words(next((m for m in EVIDENCE_LOSSES if m in trials), EVIDENCE_LOSSES[0]))
    same_loss = [(row, k) for row, k in tied if k[1] == key[1]]
    if not same_loss:
        others = ", ".join(say("ties.other", value=_measured(k[1]), trial=row["trial_id"]) for row, k in tied)
        return said + say(
            "ties.lowest_loss",
            trial=best_id,
            objective=objective,
            loss=loss_name,
            value=_measured(key[1]),
            others=others,
        )
    same = _named([str(row["trial_id"]) for row, _ in same_loss])
    more = [(row, k) for row, k in same_loss if k[2] != key[2]]
    as_many = [str(row["trial_id"]) for row, k in same_loss if k[2] == key[2]]
    said += say("ties.same_loss", trial=best_id, loss=loss_name, same=same, value=_measured(key[1]))
    if more:
        others = ", ".join(say("ties.other", value=_count(k[2]), trial=row["trial_id"]) for row, k in more)
        said += say("ties.fewest", value=_count(key[2]), others=others)
    if as_many:
        said += say_n("ties.as_many", len(as_many), trials=", ".join(as_many))
    return said + say("full_stop")


def _named(trial_ids: list[str]) -> str:
    """Trials in words: trial 2; trials 0, 2 and 3."""
    if len(trial_ids) == 1:
        return say("trial", trial=trial_ids[0])
    return say("trials", trials=listed(trial_ids))


def _measured(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else say("not_recorded")


def _count(value: float) -> str:
    return f"{int(value):,}" if math.isfinite(value) else say("not_recorded")


IMPORTANCE_RESAMPLES = 10  # fANOVA forests per report, each on a resample of the trials: their spread is the ranking's
IMPORTANCE_TREES = 16  # uncertainty. Small forests: the spread between resamples dwarfs the one between forests.


def importance(trials: pd.DataFrame, searched: list[str], direction: str) -> pd.DataFrame | None:
    """Each searched hyperparameter's share of the objective's variance, by Optuna's fANOVA: a random forest
    fitted to the finished trials, its variance split by hyperparameter. Mean and standard deviation over
    `IMPORTANCE_RESAMPLES` forests, each fitted to the finished trials drawn again with replacement (a bootstrap:
    the spread says how much the ranking hangs on which trials happened to run, which forests' own seeds do not),
    best first; only hyperparameters active in every finished trial (fANOVA needs a value in each). None with
    fewer than `MIN_TRIALS_FOR_IMPORTANCE` trials or two such hyperparameters, or when the scores leave no
    variance to split (every trial scored the same, or only the same settings differ in score)."""
    finished = finished_trials(trials)
    names = [n for n in searched if n not in unranked(trials, searched)]
    if len(finished) < MIN_TRIALS_FOR_IMPORTANCE or len(names) < 2 or finished[OBJECTIVE_METRIC].nunique() < 2:
        return None
    import optuna  # its fANOVA imports scikit-learn's forests: a second, for reports that rank at all
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    distributions = {n: _distribution(finished[n]) for n in names}

    def study_of(rows: pd.DataFrame):
        return _optuna_study(rows, distributions, direction)

    try:
        get_param_importances(
            study_of(finished), params=names, evaluator=FanovaImportanceEvaluator(n_trees=IMPORTANCE_TREES, seed=0)
        )
    except RuntimeError:  # optuna: "zero total variance in all trees"; only the same settings differ in score
        return None
    draws = np.random.default_rng(0)

    def shares_of_a_resample(k: int) -> dict[str, float] | None:
        evaluator = FanovaImportanceEvaluator(n_trees=IMPORTANCE_TREES, seed=k)
        for _ in range(20):  # a resample may repeat one score or one setting: no variance to split, draw again
            rows = finished.iloc[draws.integers(0, len(finished), len(finished))]
            with contextlib.suppress(RuntimeError):
                return get_param_importances(study_of(rows), evaluator=evaluator, params=names)
        return None

    resampled = [shares for shares in map(shares_of_a_resample, range(IMPORTANCE_RESAMPLES)) if shares is not None]
    if len(resampled) < 2:
        return None
    shares = pd.DataFrame(resampled).fillna(0.0)
    return pd.DataFrame({"mean": shares.mean(), "sd": shares.std(ddof=1)}).sort_values("mean", ascending=False)


def _optuna_study(rows: pd.DataFrame, distributions: dict, direction: str):
    """The trials `rows` as an Optuna study of finished trials over `distributions`, for its fANOVA to read."""
    import optuna

    study = optuna.create_study(direction="maximize" if direction == "max" else "minimize")
    for _, row in rows.iterrows():
        params = {
            n: row[n] if isinstance(d, optuna.distributions.FloatDistribution) else str(row[n])
            for n, d in distributions.items()
        }
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=distributions, value=float(row[OBJECTIVE_METRIC]))
        )
    return study


def unranked(trials: pd.DataFrame, searched: list[str]) -> dict[str, str]:
    """The searched hyperparameters `importance` leaves out, each with why: fANOVA needs a value in every
    finished trial, and at least two values to split."""
    finished = finished_trials(trials)
    reasons = {}
    for name in searched:
        if finished[name].isna().any():
            reasons[name] = say("unranked.inactive")
        elif finished[name].nunique() < 2:
            reasons[name] = say("unranked.one_value")
    return reasons


def _distribution(values: pd.Series):
    """Numbers as a range (log-scaled when they span more than a decade), anything else as choices."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.nunique() > 2:
        low, high = float(values.min()), float(values.max())
        return FloatDistribution(low, high, log=low > 0 and high / low > 10)
    return CategoricalDistribution(sorted({str(v) for v in values}))


def _fmt(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


EDGE_SHARE = 0.1  # the best value is at an edge when within this share of the configured range of its bound


def at_edge(value: float, spec) -> str | None:
    """ "low" or "high" when `value` sits within `EDGE_SHARE` of the configured range's bound (measured on a log
    scale for log-sampled ranges), else None. `spec` is the range as the experiment file gave it."""
    if not isinstance(spec, dict) or "min" not in spec or "max" not in spec:
        return None
    low, high = float(spec["min"]), float(spec["max"])
    log = spec.get("sampling") in ("log", "reverse_log") and low > 0 and value > 0
    scale = (lambda v: math.log(v)) if log else (lambda v: v)
    width = scale(high) - scale(low)
    if width <= 0:
        return None
    position = (scale(value) - scale(low)) / width
    return "low" if position <= EDGE_SHARE else "high" if position >= 1 - EDGE_SHARE else None


def effect_sentence(
    trials: pd.DataFrame,
    name: str,
    objective: str,
    direction: str,
    spec=None,
    others=(),
    resolution: float | None = None,
) -> str:
    """One sentence on what `name` did to the score, from the finished trials. `spec` is the hyperparameter's
    configured range or choices (is a best value at the edge of what could be tried?), `others` the other
    searched hyperparameters (did one always change with it?), `resolution` the smallest step the objective can
    take (one validation sample, for accuracy)."""
    finished = finished_trials(trials).dropna(subset=[name])
    if finished.empty:
        return say("effect.unused", name=name)
    better_first = direction == "max"
    values = finished[name]
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 4:
        return _range_effect(finished, name, better_first, spec)
    groups = (
        finished.groupby(name)[OBJECTIVE_METRIC]
        .agg(["mean", "std", "count"])
        .sort_values("mean", ascending=not better_first)
    )
    if len(groups) == 1:
        return say("effect.one_value", name=name, value=_fmt(groups.index[0]))
    twin = _confounded(finished, name, others)
    if twin is not None:
        return say("effect.confounded", name=name, twin=twin)
    compared = groups[groups["count"] >= 2]  # a value tried once has no spread to weigh its mean against
    if len(compared) < 2:
        counts = ", ".join(f"{_fmt(v)} {int(n)}" for v, n in groups["count"].items())
        return say("effect.too_few", name=name, counts=counts)
    best, worst = compared.iloc[0], compared.iloc[-1]
    once = [_fmt(v) for v, n in groups["count"].items() if n < 2]
    aside = say("effect.once", values=", ".join(once)) if once else ""
    gap = abs(best["mean"] - worst["mean"])
    # The noise of a difference of two means: twice its standard error from the trials' spread (Welch), and
    # never below one validation sample when the objective counts samples.
    noise = two_standard_errors(best["std"], best["count"], worst["std"], worst["count"])
    floor = say("effect.floor", sample=f"{resolution:.4f}") if resolution else ""
    noise = max(noise, resolution or 0.0)
    head = say(
        "effect.means",
        name=name,
        best=_fmt(compared.index[0]),
        objective=objective,
        best_mean=f"{best['mean']:.4f}",
        best_sd=f"{best['std']:.4f}",
        best_n=int(best["count"]),
        worst=_fmt(compared.index[-1]),
        worst_mean=f"{worst['mean']:.4f}",
        worst_sd=f"{worst['std']:.4f}",
        worst_n=int(worst["count"]),
        aside=aside,
    )
    rule = say("effect.rule", noise=f"{noise:.4f}", floor=floor)
    return head + say(f"effect.{'within' if gap <= noise else 'beyond'}", gap=f"{gap:.4f}", rule=rule)


def _range_effect(finished: pd.DataFrame, name: str, better_first: bool, spec) -> str:
    """A numeric hyperparameter tried at many values: where its best third of trials lies, its trend, and
    whether the best value sits at the edge of the configured range."""
    values = finished[name]
    ranked = finished.sort_values(OBJECTIVE_METRIC, ascending=not better_first)
    top = ranked.head(max(1, len(ranked) // 3))[name]
    trend = _rank_trend(values, finished[OBJECTIVE_METRIC], better_first)
    edge = ""
    side = at_edge(float(ranked.iloc[0][name]), spec)
    if side is not None:
        bound = spec["min"] if side == "low" else spec["max"]
        edge = say(
            f"effect.edge_{side}", value=_fmt(float(ranked.iloc[0][name])), share=f"{EDGE_SHARE:.0%}", bound=bound
        )
    return say(
        "effect.range",
        name=name,
        low=_fmt(top.min()),
        high=_fmt(top.max()),
        tried_low=_fmt(values.min()),
        tried_high=_fmt(values.max()),
        trend=trend,
        edge=edge,
    )


def _rank_trend(values: pd.Series, scores: pd.Series, better_first: bool) -> str:
    """Whether higher values scored better, by Spearman's rank correlation, called only beyond twice its
    standard error when there is no trend at all (1/sqrt(n - 1)): with 10 trials chance alone reaches 0.67."""
    rho = pd.concat([values, scores], axis=1).corr(method="spearman").iloc[0, 1]
    n = len(values)
    if not np.isfinite(rho):
        return say("trend.none")
    chance = 2 / math.sqrt(n - 1)
    if abs(rho) <= chance:
        return say("trend.unclear", rho=f"{rho:+.2f}", n=n, chance=f"{chance:.2f}")
    way = "better" if (rho > 0) == better_first else "worse"
    return say(f"trend.{way}", rho=f"{rho:+.2f}", n=n, chance=f"{chance:.2f}")


def objective_predicts_test(trials: pd.DataFrame, direction: str, test_metric: str) -> str | None:
    """Whether ranking the finished trials by the objective ranked them by test score too: Spearman's rank
    correlation between the two, oriented so that +1 is full agreement, against the ±2/sqrt(n - 1) that chance
    alone reaches; None with fewer than 4 finished trials that have both."""
    finished = finished_trials(trials)
    if test_metric not in finished:
        return None
    pairs = finished[[OBJECTIVE_METRIC, test_metric]].astype(float).dropna()
    n = len(pairs)
    if n < 4:
        return None
    sign = (1 if direction == "max" else -1) * (1 if test_metric.endswith("accuracy") else -1)
    rho = sign * pairs.corr(method="spearman").iloc[0, 1]
    if not np.isfinite(rho):
        return None
    chance = 2 / math.sqrt(n - 1)
    verdict = say(
        "agreement.predicted" if rho > chance else "agreement.against" if rho < -chance else "agreement.chance"
    )
    return say(
        "agreement.sentence",
        n=n,
        metric=metric_words(test_metric),
        rho=f"{rho:+.2f}",
        chance=f"{chance:.2f}",
        verdict=verdict,
    )


def _confounded(finished: pd.DataFrame, name: str, others) -> str | None:
    """Another searched hyperparameter whose values went one-to-one with `name`'s in the trials where both were
    active (a conditional one, inactive under some values, is not confounded for that), or None."""
    for other in others:
        if other == name or other not in finished:
            continue
        pairs = finished[[name, other]].dropna().astype(str).drop_duplicates()
        if pairs[name].nunique() > 1 and not pairs[name].duplicated().any() and not pairs[other].duplicated().any():
            return other
    return None


def never_predicted(per_class: pd.DataFrame, class_weight: str | None) -> str | None:
    """A sentence on the classes the model never got right on the test split (recall 0 with test samples), which
    happens when classes are imbalanced and the model answers the common ones; None when there are none."""
    missed = per_class[(per_class["recall"] == 0) & (per_class["support"] > 0)]
    if missed.empty:
        return None
    shares = per_class["support"] / per_class["support"].sum()
    classes = ", ".join(
        say("missed.class", name=row["class"], n=int(row["support"]), share=f"{shares[i]:.1%}")
        for i, row in missed.iterrows()
    )
    advice = say("missed.balanced_on") if class_weight == "balanced" else say("missed.advice")
    return say("missed.sentence", classes=classes, advice=advice)


TREND_T = 2.0  # a rise of validation loss counts as overfitting only when its slope is this many standard errors


def trend(values: list[float]) -> tuple[float, float]:
    """The least-squares slope per epoch of `values` and how many standard errors it is from zero: a steady
    rise has a large one, a wobble around a level a small one."""
    x = np.arange(len(values), dtype=float)
    slope, intercept = np.polyfit(x, values, 1)
    residuals = np.asarray(values) - (slope * x + intercept)
    if len(values) < 3:
        return float(slope), float("inf") if slope > 0 else 0.0
    error = math.sqrt(float(residuals @ residuals) / (len(values) - 2) / float(((x - x.mean()) ** 2).sum()))
    return float(slope), float(slope / error) if error > 0 else (float("inf") if slope > 0 else 0.0)


DIP_FACTOR = 2.0  # a best epoch every later epoch is at least this many times above is a lone dip, not a level


@dataclasses.dataclass(frozen=True)
class Reference:
    """A baseline's score on validation, on the curve `metric` (val_accuracy or val_mae): the trivial one (the
    majority class, the training mean, the naive forecast) is what learning nothing scores; the one to beat is the
    bar for underfitting, within `noise` (two standard errors of its accuracy on the validation samples)."""

    metric: str
    value: float
    name: str
    noise: float = 0.0

    @property
    def direction(self) -> str:
        return "max" if self.metric.endswith("accuracy") else "min"


@dataclasses.dataclass(frozen=True)
class Budget:
    """What ends a trial's training: the epoch cap (tuner.epochs) and early stopping's patience (0: none)."""

    epochs: int | None = None
    patience: int | None = None


def diagnose(
    curves: dict[str, list[tuple[int, float]]],
    reference: Reference | None = None,
    bar: Reference | None = None,
    budget: Budget = Budget(),
) -> str:
    """Overfitting, a lone dip, under-training, a cut by the epoch cap, learning nothing, underfitting or unstable
    training from one trial's learning curves. Epochs are counted from 1, as Keras prints them.

    Each verdict quotes the numbers it rests on. Overfitting needs a rise of validation loss beyond its own
    epoch-to-epoch noise while training loss falls: the flat tail that early stopping waits through is not one.
    A best epoch that every later one is far above is a dip, whose score is likely that epoch's luck: a slope
    test sees no trend in it. A run whose validation loss was still falling beyond that noise when its epochs
    ran out is under-trained, unless its validation accuracy was already 1; a run the epoch cap ended before
    early stopping could is not called healthy. Learning nothing is measured against `reference` (the trivial
    baseline), underfitting against `bar` (the better baseline on validation) or, for values, `reference`.
    """
    loss = [v for _, v in curves.get("loss", [])]
    val_loss = [v for _, v in curves.get("val_loss", [])]
    epochs = [s + 1 for s, _ in curves.get("loss", [])]
    if len(loss) < 2 or len(val_loss) < 2:
        return say("diagnose.too_few")
    findings = []
    for i in range(2, len(loss)):
        low = min(loss[:i])
        if loss[i] > 1.5 * low and loss[i] - low > 0.1 * loss[0]:
            findings.append(say("diagnose.unstable", low=f"{low:.3g}", high=f"{loss[i]:.3g}", epoch=epochs[i]))
            break
    best = int(np.argmin(val_loss))
    after_best, wobble = _after_best(loss, val_loss, epochs, best)
    findings += after_best
    val_accuracy = [v for _, v in curves.get("val_accuracy", [])]
    perfect = bool(val_accuracy) and max(val_accuracy) >= 1.0  # no more epochs can raise it
    findings += _still_falling(val_loss, epochs, best, perfect)
    findings += _against_reference(curves, reference, bar, loss)
    if not findings:
        findings.append(_settled(curves, val_loss, epochs, best, budget, wobble))
    return say("clauses").join(findings) + say("full_stop")


def _after_best(loss: list[float], val_loss: list[float], epochs: list[int], best: int) -> tuple[list[str], str | None]:
    """What the epochs after the lowest validation loss show: a lone dip or overfitting (as findings), or the
    wobble of early stopping's wait (a clause for a healthy run)."""
    after = len(val_loss) - 1 - best  # epochs trained after the lowest validation loss
    later = val_loss[best + 1 :]
    if after >= 2 and min(later) > DIP_FACTOR * val_loss[best]:
        dip = say(
            "diagnose.dip",
            epoch=epochs[best],
            loss=f"{val_loss[best]:.3g}",
            after=after,
            low=f"{min(later) / val_loss[best]:.1f}",
            high=f"{max(later) / val_loss[best]:.1f}",
            lowest=f"{min(later):.3g}",
            highest=f"{max(later):.3g}",
        )
        return [dip], None
    if after >= 2 and val_loss[-1] > 1.1 * val_loss[best] and loss[-1] < loss[best]:
        slope, t = trend(val_loss[best:])
        if t <= TREND_T:
            return [], say("diagnose.wobble", after=after, slope=f"{slope:+.2g}", t=f"{t:.1f}")
        overfitting = say(
            "diagnose.overfitting",
            epoch=epochs[best],
            start=f"{val_loss[best]:.3g}",
            end=f"{val_loss[-1]:.3g}",
            slope=f"{slope:+.2g}",
            t=f"{t:.1f}",
            train_start=f"{loss[best]:.3g}",
            train_end=f"{loss[-1]:.3g}",
        )
        return [overfitting], None
    return [], None


def _still_falling(val_loss: list[float], epochs: list[int], best: int, perfect: bool) -> list[str]:
    """Under-training: validation loss still falling at the last epoch, beyond its noise and by a share of itself
    that more epochs would still add up (a loss that creeps down by 0.2% an epoch is smooth enough to be beyond
    noise and still gains nothing); never once validation accuracy is 1."""
    slope, falling = trend(val_loss[-TAIL_EPOCHS:])
    steep = slope < -MIN_FALL * val_loss[-1]
    if best != len(val_loss) - 1 or falling >= -TREND_T or not steep or perfect:
        return []
    return [
        say(
            "diagnose.under_trained",
            epoch=epochs[best],
            to=f"{val_loss[best]:.3g}",
            start=f"{val_loss[-2]:.3g}",
            t=f"{-falling:.1f}",
            tail=min(TAIL_EPOCHS, len(val_loss)),
        )
    ]


def _settled(curves: dict, val_loss: list[float], epochs: list[int], best: int, budget: Budget, wobble) -> str:
    """A run with nothing wrong: healthy, or ended by the epoch cap before early stopping could end it."""
    after = len(val_loss) - 1 - best
    accuracy = [v for _, v in curves.get("accuracy", [])]
    val_accuracy = [v for _, v in curves.get("val_accuracy", [])]
    gap = _gap(accuracy[-1] - val_accuracy[-1]) if accuracy and val_accuracy else ""
    lowest = say("diagnose.lowest", epoch=epochs[best], loss=f"{val_loss[best]:.3g}")
    if not (budget.patience and budget.epochs and epochs[-1] >= budget.epochs and after < budget.patience):
        where = wobble or say_n("diagnose.ended_later", after, n=after, epoch=epochs[-1])
        return say("diagnose.healthy", lowest=lowest, where=where, gap=gap)
    perfect = bool(val_accuracy) and max(val_accuracy) >= 1.0
    ceiling = say("diagnose.ceiling", accuracy=f"{max(val_accuracy):.4g}") if perfect else say("diagnose.more_epochs")
    return say_n(
        "diagnose.capped",
        after,
        lowest=lowest,
        epochs=budget.epochs,
        n=after,
        patience=budget.patience,
        ceiling=ceiling,
        gap=gap,
    )


MIN_FALL = 0.01  # a share of the validation loss per epoch: a slower fall at the end is not under-training
TAIL_EPOCHS = 5  # the last epochs whose slope tells a validation loss still falling from one that has levelled


def _gap(difference: float) -> str:
    """Training accuracy against validation accuracy at the last epoch, in words: above or below."""
    return say(f"diagnose.gap_{'above' if difference >= 0 else 'below'}", gap=f"{abs(difference):.3f}")


def _against_reference(
    curves: dict, reference: Reference | None, bar: Reference | None, loss: list[float]
) -> list[str]:
    """Learning nothing (the best validation score no better than the trivial baseline's) and underfitting
    (training accuracy under the better baseline's validation accuracy; for values, a training error no lower
    than the trivial baseline's on validation), each named with what it is measured against."""
    findings = []
    validation = [v for _, v in curves.get(reference.metric, [])] if reference else []
    if validation and reference is not None:
        best = max(validation) if reference.direction == "max" else min(validation)
        better = best > reference.value if reference.direction == "max" else best < reference.value
        if not better:
            findings.append(
                say(
                    "diagnose.learned_nothing",
                    metric=reference.metric,
                    best=f"{best:.4g}",
                    value=f"{reference.value:.4g}",
                    name=reference.name,
                )
            )
    accuracy = [v for _, v in curves.get("accuracy", [])]
    training_error = [v for _, v in curves.get("mae", [])]
    if accuracy and bar is not None and bar.direction == "max":
        if accuracy[-1] < bar.value - bar.noise:
            findings.append(
                say(
                    "diagnose.underfitting_bar",
                    accuracy=f"{accuracy[-1]:.3f}",
                    value=f"{bar.value:.3f}",
                    name=bar.name,
                    noise=f"{bar.noise:.3f}",
                )
            )
    elif training_error and reference and reference.direction == "min" and training_error[-1] >= reference.value:
        findings.append(
            say(
                "diagnose.underfitting_error",
                error=f"{training_error[-1]:.4g}",
                value=f"{reference.value:.4g}",
                name=reference.name,
            )
        )
    elif accuracy and bar is None and loss[-1] > 0.5 * loss[0] and loss[-1] > 0.3:
        findings.append(say("diagnose.underfitting_loss", start=f"{loss[0]:.3f}", end=f"{loss[-1]:.3f}"))
    return findings
