"""A study's answer, worded from its numbers: means and spread over seeds, and whether differences exceed noise.

Two settings differ only when their means are further apart than twice the
standard error of the difference (Welch's, from each setting's seeds); with a
single seed there is no spread, and the text says so instead of claiming a winner.
"""

from __future__ import annotations

import math

import pandas as pd

from reports.words import logged, metric_words, relogged, say, say_n


def baseline_sentence(
    metric: str,
    model_value: float,
    baseline_name: str,
    baseline_value: float,
    gain: float,
    standard_error: float,
    n: int,
    z: float = 2.0,
) -> str:
    """The best model against a baseline, in a sentence a person can check: both test scores, the mean gain per
    test sample with its standard error, n, and the rule (a difference counts beyond `z` standard errors)."""
    if gain > 0 and gain > z * standard_error:
        verdict = "beats"
    elif gain < 0 and -gain > z * standard_error:
        verdict = "worse"
    else:
        verdict = "no_better"
    return say(
        f"baseline_sentence.{verdict}",
        metric=metric_words(metric),
        model=f"{model_value:.4g}",
        baseline=f"{baseline_value:.4g}",
        name=baseline_name,
        n=f"{n:,}",
        gain=f"{gain:.3g}",
        error=f"{standard_error:.2g}",
        z=f"{z:g}",
    )


def capitalized(sentence: str) -> str:
    """A sentence that opens a paragraph or a description: its first letter upper-case."""
    return sentence[:1].upper() + sentence[1:]


def direction(metric: str) -> str:
    """Errors and losses go down; accuracy, areas, F1 and the share of near-zero weights go up."""
    return "min" if any(part in metric for part in ("mae", "mse", "loss")) else "max"


def summarize(values: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per setting (`keys`): mean, standard deviation and count of its per-seed `value`s."""
    grouped = values.groupby(keys, sort=False, dropna=False)["value"]
    out = grouped.agg(mean="mean", std=lambda v: v.std(ddof=1) if len(v) > 1 else float("nan"), n="count")
    out["seeds"] = grouped.agg(lambda v: ", ".join(f"{x:.3g}" for x in v))
    return out.reset_index()


def noise(a: pd.Series, b: pd.Series) -> float:
    """Twice the standard error of the difference of two settings' means; NaN with a single seed."""
    if a["n"] < 2 or b["n"] < 2:
        return float("nan")
    return two_standard_errors(a["std"], a["n"], b["std"], b["n"])


def two_standard_errors(sd_a: float, n_a: int, sd_b: float, n_b: int) -> float:
    """The noise floor of a difference of two means: twice its standard error, each side's variance its own
    (Welch's). Written out, not scipy's `ttest_ind(equal_var=False)`: the sentences state this bound, not a
    p-value."""
    return 2 * math.sqrt(sd_a**2 / n_a + sd_b**2 / n_b)


def fmt(row: pd.Series) -> str:
    std = row["std"] if row["std"] > 1e-9 * max(1.0, abs(row["mean"])) else 0.0  # identical seeds: no float dust
    spread = f" ± {std:.2g}" if row["n"] > 1 else ""
    return f"{row['mean']:.3g}{spread}"


def _seeds(rows: pd.DataFrame) -> str:
    counts = sorted(set(rows["n"]))
    return (
        say_n("seeds.each", counts[0], n=counts[0])
        if len(counts) == 1
        else say("seeds.mixed", counts="/".join(map(str, counts)))
    )


def not_past(row: pd.Series, baseline: float, way: str) -> bool:
    """No better than the baseline: short of it by less than twice the standard error (or 5% of it), or worse."""
    error = 2 * row["std"] / math.sqrt(row["n"]) if row["n"] > 1 else 0.0
    gain = baseline - row["mean"] if way == "min" else row["mean"] - baseline
    return gain <= max(error, 0.05 * abs(baseline))


def panel_sentences(
    rows: pd.DataFrame,
    label: str,
    metric: str,
    where: str,
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> tuple[list[str], str, list[str], list[str]]:
    """Sentences for one panel; its best setting; the settings within noise of it; those at the baseline."""
    way = direction(metric)
    ordered = rows.sort_values("mean", ascending=way == "min").reset_index(drop=True)
    values = "; ".join(f"{r[label]} {fmt(r)}" for _, r in ordered.iterrows())
    sentences = [say("panel.values", where=where, metric=metric_words(metric), values=values, seeds=_seeds(ordered))]
    best = ordered.iloc[0]
    close, clear, unknown = [], [], []
    for _, other in ordered.iloc[1:].iterrows():
        margin = noise(best, other)
        if math.isnan(margin):
            unknown.append(str(other[label]))
        elif abs(best["mean"] - other["mean"]) <= margin:
            close.append(str(other[label]))
        else:
            clear.append(str(other[label]))
    verdict = say("panel.best", best=best[label])
    if close:
        verdict += say_n("panel.close", len(close), settings=", ".join(close))
    if clear:
        verdict += say_n(f"panel.clear_{'higher' if way == 'min' else 'lower'}", len(clear), settings=", ".join(clear))
    if unknown:
        verdict += say("panel.one_seed", settings=", ".join(unknown))
    sentences.append(verdict + say("full_stop"))
    stuck = [] if baseline is None else [str(r[label]) for _, r in ordered.iterrows() if not_past(r, baseline, way)]
    if stuck:
        sentences.append(
            say("panel.stuck", settings=", ".join(stuck), baseline=baseline_label, value=f"{baseline:.3g}")
        )
    return sentences, str(best[label]), close + unknown, stuck


def _not_shown_because(best: str, close: list[str], stuck: list[str], expected: set[str], baseline_label: str):
    """Why a panel does not show the expectation, in words; None when it does: an expected setting did best,
    beyond noise of every unexpected one, and got past the baseline."""
    if best in stuck:
        return say("answer.none_past", baseline=baseline_label)
    if best not in expected:
        return say("answer.other_best", best=best)
    rivals = sorted(set(close) - expected)
    return say("answer.rivals", rivals=", ".join(rivals), best=best) if rivals else None


def answer(
    summary: pd.DataFrame,
    compare: list[str],
    metric: str,
    panels: list[str],
    expect_best: list[str],
    expectation: str,
    baseline: float | None = None,
    baseline_label: str = "baseline",
) -> list[str]:
    """The answer section: per panel what was measured, then what of the expected outcome the runs check (the
    expected settings do best beyond noise) and, across panels, whether their lead changes."""
    label = compare[0]
    sentences, shown, not_shown, leads = [], [], [], []
    expected = {str(v) for v in expect_best}
    groups = summary.groupby(panels, sort=False) if panels else [((), summary)]
    for key, rows in groups:
        key = key if isinstance(key, tuple) else (key,)
        where = "".join(f"{v} " if n == "sweep" else f"{n}={v} " for n, v in zip(panels, key, strict=False) if v != "")
        place = where.strip()
        said, best, close, stuck = panel_sentences(
            rows, label, metric, say("panel.at", place=place) if place else "", baseline, baseline_label
        )
        sentences += said
        if not expect_best:
            continue
        lead = _lead(rows, label, expected, direction(metric))
        if lead is not None:
            leads.append((place, *lead))
        reason = _not_shown_because(best, close, stuck, expected, baseline_label)
        if reason is None:
            shown.append(place)
        else:
            not_shown.append(f"{place} ({reason})" if place else reason)
    if expect_best:
        intro = say(
            "answer.expected", expectation=expectation or say("answer.do_best", names=", ".join(map(str, expect_best)))
        )
        names = say("or").join(map(str, expect_best))
        if not not_shown:
            cases = {1: "", 2: say("answer.both")}.get(len(shown), say("answer.all", n=len(shown)))
            sentences.append(intro + say("answer.shown", names=names, cases=cases))
        elif not shown:
            sentences.append(intro + say("answer.not_shown", why="; ".join(not_shown)))
        else:
            sentences.append(intro + say("answer.partly", shown=", ".join(shown), not_shown="; ".join(not_shown)))
        if len(leads) >= 2:
            sentences.append(_lead_sentence(names, leads))
    return sentences


def _lead(rows: pd.DataFrame, label: str, expected: set[str], way: str) -> tuple[float, float] | None:
    """How far the best expected setting is ahead of the best other one (negative: behind), and the standard
    error of that difference over seeds (NaN with one seed); None when either side is missing."""
    settings = rows.assign(setting=rows[label].astype(str))
    ours, others = settings[settings["setting"].isin(expected)], settings[~settings["setting"].isin(expected)]
    if ours.empty or others.empty:
        return None
    a, b = (r.loc[r["mean"].idxmin() if way == "min" else r["mean"].idxmax()] for r in (ours, others))
    lead = b["mean"] - a["mean"] if way == "min" else a["mean"] - b["mean"]
    return lead, noise(a, b) / 2


def _lead_sentence(names: str, leads: list[tuple[str, float, float]]) -> str:
    """The lead across panels, first against last: does it grow, beyond the noise of both?"""
    listed = ", ".join(f"{place} {lead:.3g}" + ("" if math.isnan(se) else f" ± {se:.2g}") for place, lead, se in leads)
    (first, lead_first, se_first), (last, lead_last, se_last) = leads[0], leads[-1]
    change = lead_last - lead_first
    said = say(
        f"lead.{'grows' if change > 0 else 'shrinks'}",
        names=names,
        leads=listed,
        first=first,
        last=last,
        change=f"{abs(change):.3g}",
    )
    margin = 2 * math.sqrt(se_first**2 + se_last**2)
    if math.isnan(margin):
        return said + say("lead.one_seed")
    if abs(change) > margin:
        return said + say("lead.beyond", margin=f"{margin:.2g}")
    return said + say("lead.within", margin=f"{margin:.2g}")


def ensemble_name(members: dict[str, float]) -> str:
    """An ensemble in words, its trials with their weights: an ensemble of trials 03 (0.6), 07 (0.4)."""
    return say("ensemble.name", members=", ".join(f"{trial} ({weight:.2g})" for trial, weight in members.items()))


def ensemble_sentence(
    how: str,
    members: dict[str, float],
    best_trial: str,
    measures: list[tuple[str, float, float]],
    gain: float,
    standard_error: float,
    n: int,
    z: float = 2.0,
) -> str:
    """The ensemble against the best trial in a sentence: which trials, with what weights, both validation
    scores (the ensemble's flattered: validation chose it), and its gain on the test split with its standard
    error, called only beyond `z` of them. `measures` are (validation metric, the ensemble's, the trial's): the
    objective's, then the loss that breaks a tie on it. `how` is the ensemble tag: kept, or why not."""
    named = ensemble_name(members)
    scores = ", ".join(
        say("ensemble.score", metric=metric_words(m), ours=f"{ours:.4g}", theirs=f"{theirs:.4g}")
        for m, ours, theirs in measures
    )
    on_validation = say("ensemble.on_validation", scores=scores)
    if gain > z * standard_error and gain > 0:
        called = say("ensemble.beyond", z=f"{z:g}")
    elif -gain > z * standard_error:
        called = say("ensemble.loss", z=f"{z:g}")
    else:
        called = say("ensemble.within", z=f"{z:g}")
    on_test = say(
        "ensemble.on_test",
        trial=best_trial,
        gain=f"{gain:.3g}",
        error=f"{standard_error:.2g}",
        n=f"{n:,}",
        called=called,
    )
    values = {"named": named, "trial": best_trial, "on_validation": on_validation, "on_test": on_test}
    if how == "kept":
        return say("ensemble.kept", **values)
    why = how.removeprefix(NOT_KEPT)
    if why == logged("logged.no_better", trial=best_trial):
        return capitalized(say("ensemble.no_better", **values))
    return capitalized(say("ensemble.not_kept", why=relogged(why), **values))


NOT_KEPT = "not kept: "  # the ensemble tag's opening when selection chose an ensemble the search did not keep
