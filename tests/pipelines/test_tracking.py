"""The model registry keeps one champion: a search's best model becomes a new version only when it scores better."""

from __future__ import annotations

import keras
import numpy as np

from pipelines.tracking import SearchTracker
from reports.store import CHAMPION_ALIAS, champion_version


def test_a_new_version_only_when_it_beats_the_champion(tmp_path):
    tracker = SearchTracker(f"sqlite:///{tmp_path}/mlflow.db", "champions")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    x = np.zeros((2, 3), dtype="float32")
    said, runs = [], []
    for score in (0.90, 0.85, 0.95, 0.95):
        with tracker.search_run("search", {}) as run_id:
            tracker.log_metrics({"best_score": score})
            tracker.log_model(model, "best_model", x)
            said.append(tracker.register_champion("champions", "best_model", score, "max"))
            runs.append(run_id)
    assert said[0] == "registered as version 1 of 'champions', now its champion"
    assert said[1] == "not registered: version 1 of 'champions' scored 0.9, and this search 0.85; it stays the champion"
    assert said[2] == "registered as version 2 of 'champions', now its champion"
    assert said[3].startswith("not registered: version 2")  # a tie does not replace the champion
    versions = tracker.client.search_model_versions("name='champions'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    champion = champion_version(tracker.client, "champions")
    assert champion.run_id == runs[2] and CHAMPION_ALIAS in champion.aliases
    assert champion_version(tracker.client, "no-such-model") is None
