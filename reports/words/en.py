"""The report's sentences in English."""

SENTENCES = {
    "list": "{head} and {last}",
    "list_separator": ", ",
    "trial": "trial {trial}",
    "page": "page {page} of {pages}",
    "direction.max": "maximize",
    "direction.min": "minimize",
    "unit.seconds": "{n} s",
    "unit.minutes": "{n} min",
    "unit.hours": "{n} h",
    "status.finished": "finished",
    "status.failed": "failed",
    "status.killed": "killed",
    "status.running": "running",
    "status.scheduled": "scheduled",
    "status.pruned_at": "pruned at epoch {epoch}",
    "state.finished": "finished",
    "state.running": "incomplete: still running, or its process died (--resume carries it on)",
    "state.stopped": "incomplete: {why} (--resume carries it on)",
    "state.interrupted": "interrupted",
    # the search report
    "search.heading": "{name}: search report",
    "search.title": "Hyperparameter search: {name}",
    "search.incomplete": "This search is {state}. Finished trials: {finished} ({bound}); what follows covers those.",
    "search.no_trials": "This search has no trials: it was stopped or failed before the first one ended.",
    "summary.experiment": "experiment",
    "summary.parent_run": "parent run",
    "summary.data": "data",
    "summary.data_sizes": "{data}: {train} train, {validation} validation, {test} test",
    "summary.data_notes": "data as loaded",
    "summary.family": "model family",
    "summary.tuner": "tuner",
    "summary.tuner_value": "{algorithm}, {bound} of {epochs} epochs, patience {patience}",
    "summary.time_budget": "time budget",
    "summary.objective": "objective",
    "summary.objective_value": "{objective} ({direction}), seed {seed}",
    "summary.started": "started",
    "summary.started_value": "{when}, {minutes} minutes, {state}",
    "summary.trials": "trials",
    "summary.trials_value": "{n}: {finished} finished, {pruned}{failed} failed, {interrupted} interrupted",
    "summary.pruned": "{n} pruned ({how}), ",
    "summary.pruning": "{rule} rule, judged from epoch {warmup}",
    "summary.stopped": "stopped early",
    "summary.best_trial": "best trial",
    "summary.no_best": "none: no trial finished with a finite score",
    "summary.best_value": "trial {trial}: {objective} {score}, {test} {test_score}",
    "summary.ties": "chosen among ties",
    "summary.ensemble": "ensemble",
    "summary.baseline": "baseline ({key})",
    "summary.baseline_value": "{name}: {test} {score} (validation {validation})",
    "summary.gain": "; the best model's gain per test sample {gain} ± {error} standard error",
    "baseline.trivial": "trivial",
    "baseline.model": "model",
    "bound.trials": "up to {n} trials",
    "bound.budget": "as many trials as the time budget allowed",
    "bound.at_most": " (at most {n})",
    "budget.bought": (
        "{budget} of training (setup and closing steps not counted): bought {trials} trials ({epochs} epochs in "
        "all{pruned}){when}. A trial under way when it ran out was finished, not cut off."
    ),
    "budget.pruned": ", {n} of them pruned",
    "budget.spent": "; {spent} had been spent training when the last trial was asked for",
    "best.heading": "The best model: trial {trial}",
    "best.architecture": "Architecture ({n} parameters):",
    "best.layers": "Architecture:",
    "best.per_class": "Per-class scores on the test split:",
    "best.fixed": "Fixed for every trial: {values}.",
    "column.searched": "searched hyperparameter",
    "column.value": "value",
    "column.searched_over": "searched over",
    "column.hyperparameter": "hyperparameter",
    "column.configured": "configured",
    "column.tried": "tried",
    "column.duration": "duration",
    "column.status": "status",
    "overview.heading": "The search at a glance",
    "overview.inactive": "inactive in every finished trial",
    "overview.range": "{low} to {high} ({n} values)",
    "overview.space": "The search space as configured, and the values the finished trials tried (trials per value):",
    "trials.heading": "All trials, best first",
    "effects.heading": "What each hyperparameter did",
    "effects.nothing": "No hyperparameter took more than one value, so there is nothing to compare.",
    "effects.how_to_read": (
        "Each point is a finished trial; for choices the bar is the mean. Look for values whose best trials sit at "
        "the edge of the range searched: the range should then be widened that way."
    ),
    "effects.pruned_left_out.one": (
        "{n} pruned trial is left out: stopped early, its score is not comparable to those of full training."
    ),
    "effects.pruned_left_out": (
        "{n} pruned trials are left out: stopped early, their scores are not comparable to those of full training."
    ),
    "importance.too_few": (
        "Importance needs at least {n} finished trials whose settings differ in score, and two hyperparameters "
        "active in all of them; this search has too few to rank them."
    ),
    "importance.left_out": "; {name} left out, {why}",
    "importance.explained": (
        "Importance (Optuna's fANOVA): a random forest fitted to the {n} finished trials' {objective}, its variance "
        "split by hyperparameter ({names}{left_out}). Mean and standard deviation over {forests} forests, each "
        "fitted to the {n} trials drawn again with replacement, so the spread shows how much the ranking hangs on "
        "which trials ran: {shares}. Read a share as larger than another only when their difference exceeds both "
        "spreads."
    ),
    "importance.pair": "{first} against {second}, the two that explain most (the best trial ringed in red).",
    "diagnosis.heading": "Diagnosis from the learning curves",
    "diagnosis.none": "No trial finished, so there are no curves to diagnose.",
    "diagnosis.trial": "trial {trial} ({objective} {score}): {finding}",
    "diagnosis.pruned": (
        "{n} pruned (stopped where they were losing to the other trials), left out of this diagnosis and of the "
        "effects, whose scores are those of full training: {trials}"
    ),
    "diagnosis.pruned_trial": "trial {trial} at epoch {epoch} ({objective} {score} by then)",
    "diagnosis.no_reason": "no reason recorded",
    "diagnosis.failed": "trial {trial} failed: {reason}",
    "full_stop": ".",
    "or": " or ",
    # a verdict against a baseline
    "baseline_sentence.beats": (
        "the best model's {metric} {model} beats the {baseline} of {name} on the {n} test samples (gain per sample "
        "{gain} ± {error} standard error; a difference is called only beyond {z} standard errors)"
    ),
    "baseline_sentence.worse": (
        "the best model's {metric} {model} is worse than the {baseline} of {name} on the {n} test samples (gain per "
        "sample {gain} ± {error} standard error; a difference is called only beyond {z} standard errors)"
    ),
    "baseline_sentence.no_better": (
        "the best model's {metric} {model} is no better than the {baseline} of {name} on the {n} test samples (gain "
        "per sample {gain} ± {error} standard error; a difference is called only beyond {z} standard errors)"
    ),
    # the ensemble
    "ensemble.name": "an ensemble of trials {members}",
    "ensemble.score": "{metric} {ours} against {theirs}",
    "ensemble.on_validation": "{scores}; validation chose the ensemble, so its scores there flatter it",
    "ensemble.beyond": "beyond {z} standard errors",
    "ensemble.loss": "a loss beyond {z} standard errors",
    "ensemble.within": "within {z} standard errors: no difference is called",
    "ensemble.on_test": "gain per test sample over trial {trial} {gain} ± {error} on {n} samples, {called}",
    "ensemble.kept": "The best model is {named}, better than trial {trial} on validation ({on_validation}); {on_test}.",
    "ensemble.no_better": (
        "{named} did no better than trial {trial} on validation ({on_validation}), so the trial is the best model; "
        "{on_test}."
    ),
    "ensemble.not_kept": "{named} is not the model, as {why} ({on_validation}); {on_test}.",
    "ensemble.none": "Ensemble: {how}.",
    # a study's answer
    "seeds.each.one": "{n} seed each",
    "seeds.each": "{n} seeds each",
    "seeds.mixed": "seeds: {counts}",
    "panel.at": "At {place}, ",
    "panel.values": "{where}{metric}: {values} ({seeds}).",
    "panel.best": "{best} did best",
    "panel.close.one": ", but {settings} is within noise of it",
    "panel.close": ", but {settings} are within noise of it",
    "panel.clear_higher.one": "; {settings} is clearly higher",
    "panel.clear_higher": "; {settings} are clearly higher",
    "panel.clear_lower.one": "; {settings} is clearly lower",
    "panel.clear_lower": "; {settings} are clearly lower",
    "panel.one_seed": "; with one seed there is no spread to tell {settings} apart from it",
    "panel.stuck": "{settings} did not get past the {baseline} ({value}).",
    "answer.none_past": "no setting got past the {baseline}",
    "answer.other_best": "{best} did best",
    "answer.rivals": "{rivals} within noise of {best}",
    "answer.expected": "Expected: {expectation}.",
    "answer.do_best": "{names} do best",
    "answer.both": " in both cases measured",
    "answer.all": " in all {n} cases measured",
    "answer.shown": " Measured: {names} did best, beyond noise of the rest{cases}.",
    "answer.not_shown": " Measured: not so: {why}.",
    "answer.partly": " Measured: so at {shown}; not at {not_shown}.",
    "lead.grows": (
        "The lead of {names} over the best other setting (mean difference ± its standard error over seeds): "
        "{leads}. From {first} to {last} it grows by {change}"
    ),
    "lead.shrinks": (
        "The lead of {names} over the best other setting (mean difference ± its standard error over seeds): "
        "{leads}. From {first} to {last} it shrinks by {change}"
    ),
    "lead.one_seed": "; with one seed there is no spread to tell whether that is more than noise.",
    "lead.beyond": ", beyond noise (twice its standard error, {margin}).",
    "lead.within": (
        ", within noise (twice its standard error, {margin}): these runs cannot tell whether the lead changes."
    ),
    "clauses": "; ",
    "not_recorded": "not recorded",
    "trials": "trials {trials}",
    # ties on the objective
    "ties.within": "within one step of {step}",
    "ties.equal": "equal",
    "ties.tied": (
        "{trials} tied on {objective} ({score} for trial {trial}; {within}); ties go to the lower validation loss, "
        "then to fewer parameters."
    ),
    "ties.other": "{value} (trial {trial})",
    "ties.lowest_loss": (
        " Trial {trial}'s kept weights (its best epoch by {objective}) had the lowest {loss}, {value}, against "
        "{others}."
    ),
    "ties.same_loss": " Trial {trial}'s kept weights had the same {loss} as {same} ({value})",
    "ties.fewest": " and the fewest parameters, {value}, against {others}",
    "ties.as_many.one": "; trial {trials} has as many, and the earlier is kept",
    "ties.as_many": "; trial {trials} have as many, and the earlier is kept",
    # what each hyperparameter did
    "unranked.inactive": "inactive in some trials",
    "unranked.one_value": "one value in the finished trials",
    "effect.unused": "{name}: no finished trial used it.",
    "effect.edge_low": (
        "; the best trial ({value}) is within {share} of the range's low end ({bound}), so the range could be "
        "widened that way"
    ),
    "effect.edge_high": (
        "; the best trial ({value}) is within {share} of the range's high end ({bound}), so the range could be "
        "widened that way"
    ),
    "effect.range": (
        "{name}: the best third of trials used {low} to {high} (tried {tried_low} to {tried_high}); {trend}{edge}."
    ),
    "effect.one_value": "{name}: only {value} finished, so its effect cannot be told.",
    "effect.confounded": (
        "{name}: confounded with {twin}: each value of {name} came with one value of {twin} in every finished "
        "trial, so what either did cannot be told apart."
    ),
    "effect.too_few": (
        "{name}: too few trials per value to tell an effect (trials per value: {counts}); a comparison needs two "
        "values each tried at least twice: one trial of a value cannot separate its effect from that of the others "
        "that changed with it."
    ),
    "effect.once": "; left out, tried once: {values}",
    "effect.floor": "; one validation sample is {sample}",
    "effect.means": (
        "{name}: {best} gave the best mean {objective} ({best_mean}, sd {best_sd} over {best_n} trials), {worst} "
        "the worst ({worst_mean}, sd {worst_sd} over {worst_n}){aside}"
    ),
    "effect.rule": "twice the standard error of the difference, {noise}{floor}",
    "effect.within": ("; the difference, {gap}, is within its noise ({rule}): the search cannot tell an effect."),
    "effect.beyond": "; the difference, {gap}, is beyond its noise ({rule}).",
    "trend.none": "no trend can be told",
    "trend.unclear": "no clear trend (Spearman {rho} over {n} trials, within the ±{chance} chance alone reaches)",
    "trend.better": "higher values scored better (Spearman {rho} over {n} trials, beyond the ±{chance} of chance)",
    "trend.worse": "higher values scored worse (Spearman {rho} over {n} trials, beyond the ±{chance} of chance)",
    "agreement.predicted": "the objective's ranking predicted the test score's",
    "agreement.against": "the objective's ranking ran against the test score's",
    "agreement.chance": "the objective's ranking did not predict the test score's beyond chance",
    "agreement.sentence": (
        "Across the {n} finished trials, ranking by the objective and by {metric} agree with a rank correlation of "
        "{rho} (Spearman, +1 is the same order; chance alone reaches ±{chance} with {n} trials): {verdict}. The "
        "test split picked nothing here; it only checks."
    ),
    "missed.class": "{name} ({n} test samples, {share} of them)",
    "missed.balanced_on": "class_weight: balanced is on",
    "missed.advice": (
        "class_weight: balanced in the experiment file weighs the rare classes up; it trades accuracy for their "
        "recall, and can cost more accuracy than it gives them, so judge it by macro F1, not accuracy"
    ),
    "missed.sentence": (
        "Never recognized on the test split: {classes}. The model answers the more common classes instead; {advice}."
    ),
    # the learning curves
    "diagnose.too_few": "too few epochs to judge the curves.",
    "diagnose.unstable": "unstable: training loss jumped from {low} to {high} at epoch {epoch}",
    "diagnose.dip": (
        "a lone dip at epoch {epoch}: validation loss was {loss} there, and each of the {after} epochs after it was "
        "{low} to {high} times higher ({lowest} to {highest}); the kept weights' score is likely that epoch's luck, "
        "so expect the test score to fall short of it"
    ),
    "diagnose.overfitting": (
        "overfitting from epoch {epoch}: validation loss rose from {start} to {end} ({slope} per epoch, {t} standard "
        "errors above flat) while training loss fell from {train_start} to {train_end}"
    ),
    "diagnose.wobble": (
        "the {after} epochs after it moved without a clear rise ({slope} per epoch, {t} standard errors from flat: "
        "within the epoch-to-epoch noise), the wait of early stopping rather than overfitting"
    ),
    "diagnose.under_trained": (
        "under-trained: validation loss was still falling at the last epoch, {epoch} (to {to}, from {start}; {t} "
        "standard errors below flat over the last {tail} epochs), so the budget ended its training; allow more "
        "epochs (tuner.epochs in the experiment file)"
    ),
    "diagnose.ended_later.one": "the run ended {n} epoch later, at epoch {epoch}",
    "diagnose.ended_later": "the run ended {n} epochs later, at epoch {epoch}",
    "diagnose.lowest": "validation loss was lowest at epoch {epoch} ({loss})",
    "diagnose.ceiling": "; its validation accuracy had reached {accuracy}, the most it can be",
    "diagnose.more_epochs": "; more epochs might still have improved it",
    "diagnose.capped.one": (
        "ended by the epoch cap: {lowest}, and the run reached tuner.epochs ({epochs}) {n} epoch after it, before "
        "early stopping's patience of {patience} could end it{ceiling}{gap}"
    ),
    "diagnose.capped": (
        "ended by the epoch cap: {lowest}, and the run reached tuner.epochs ({epochs}) {n} epochs after it, before "
        "early stopping's patience of {patience} could end it{ceiling}{gap}"
    ),
    "diagnose.healthy": "healthy: {lowest}; {where}{gap}",
    "diagnose.gap_above": "; at the last epoch training accuracy was {gap} above validation accuracy",
    "diagnose.gap_below": "; at the last epoch training accuracy was {gap} below validation accuracy",
    "diagnose.learned_nothing": (
        "learned nothing: its best {metric} {best} is no better than the {value} of {name} on the validation split"
    ),
    "diagnose.underfitting_bar": (
        "underfitting: training accuracy only reached {accuracy}, below the {value} validation accuracy of {name} "
        "by more than its noise ({noise}, two standard errors)"
    ),
    "diagnose.underfitting_error": (
        "underfitting: its training mae {error} is no lower than the {value} of {name} on the validation split"
    ),
    "diagnose.underfitting_loss": "underfitting: training loss only fell from {start} to {end}",
    # a study's report
    "study.title": "Study: {name}",
    "study.answer": "Answer",
    "study.nothing": "No trial finished, so there is nothing to compare.",
    "study.baseline": "baseline",
    "study.failures": "{n} trial(s) failed and are left out: {failures}.",
    "study.gradient_after": (
        "After training, on {panel} ({steps} steps), the same share: {parts} (how far back the trained network "
        "still learns from; the second figure below)."
    ),
    "study.gradient_before": (
        "Before training, on {panel} ({steps} steps), the share of the loss's gradient reaching the last step "
        "that reached the first: {parts} (mean over the trials and their seeds; the figure below draws it step by "
        "step)."
    ),
    "study.tuned": (
        "Each setting is shown at its best {names}, chosen on the validation objective before the test split is "
        "read: {settings}."
    ),
    "study.gradient_part": "{setting} {ratio}",
    "study.column_mean": "{metric} mean",
    "study.column_sd": "sd",
    "study.column_seeds": "seeds",
    "study.column_per_seed": "per seed",
    "study.column_sweep": "sweep",
    "study.searches": "Searches",
    "study.search": "{name}: parent run {run}, {status}. {verdict}",
    "study.closing": (
        "Study run {run}. Each search has its own report on its parent run. Two settings are called different only "
        "when their means differ by more than twice the standard error of the difference over seeds."
    ),
    # figure labels
    "figure.training": "training",
    "figure.validation": "validation",
    "figure.kept": "kept (epoch {epoch})",
    "figure.epoch": "epoch",
    "figure.share_of_class": "share of the true class",
    "figure.confusion": "{title}: confusion matrix (counts)",
    "figure.predicted": "predicted",
    "figure.true": "true",
    "figure.fpr": "false positive rate",
    "figure.tpr": "true positive rate",
    "figure.roc": "{title}: ROC (one-vs-rest)",
    "figure.recall": "recall",
    "figure.precision": "precision",
    "figure.pr": "{title}: precision-recall",
    "figure.on_test": "{title}, test",
    "figure.importance": "share of the objective's variance (fANOVA; mean ± sd over resamples)",
    "figure.over_seeds": "{metric} (mean ± sd over seeds)",
    "figure.steps_before_end": "steps before the last input",
    "figure.input_gradient": "size of the loss's gradient at that step",
    "figure.input_gradient_before": "before training: {panel}",
    "figure.input_gradient_after": "after training: {panel}",
    "figure.trial": "trial",
    "figure.best_so_far": "best so far",
    "figure.by_trial": "Objective by trial",
    "figure.best_trial": "best trial ({trial})",
    "figure.all_losses": "Validation loss of all {n} trials",
    "figure.agreement": "Validation against test, per trial",
    "figure.parallel": "One line per trial (yellow: higher {objective})",
    # metric words: a logged name's prefix, then its rest (test/accuracy: test accuracy)
    "metric.test/": "test ",
    "metric.val_": "val ",
    "metric.trial/": "trial ",
    # what the search writes to MLflow in English, read back in a report's language (`relogged`)
    "logged.naive": "the naive forecast (the last observed value)",
    "logged.seasonal_naive": "the seasonal naive forecast (the value one season back)",
    "logged.majority": "the majority class ({name})",
    "logged.training_mean": "predicting the training mean",
    "logged.logistic": "logistic regression on the standardized inputs (C={c})",
    "logged.ridge": "ridge regression on the standardized inputs (alpha={alpha})",
    "logged.boosting": "gradient boosting (scikit-learn's histogram trees)",
    "logged.one_trial_alone": "none: selection kept one trial alone",
    "logged.no_better": "no better than trial {trial} on validation",
    "logged.weights_missing": "the weights of trials {trials} are not here (log_trial_models: true keeps them)",
    # several searches side by side
    "compare.heading": "comparison: {names}",
    "compare.title": "Comparison of searches: {names}",
    "compare.finished": "{finished}/{n} finished",
    "compare.best": "Best {objective}: {name} with {score} (trial {trial}). {others}",
    "compare.on_test": "On test, {a}'s best model {p} against {b}'s {q} ({m} and {n} samples): a difference of {d}",
    "compare.rule": "twice the standard error of the difference, {margin}, counting the two test sets as independent",
    "compare.beyond": ", beyond noise ({rule}).",
    "compare.within": ", within noise ({rule}): these scores cannot tell the two apart.",
    "compare.curves": "Learning curves of each search's best trial",
    "compare.confusions": "Confusion matrices of each search's best trial (test split, normalized by true class)",
}
