"""The README's way through the MLflow UI, walked in headless Chromium as a new user would: `automl ui` on the
default search's store, from the root URL to the runs, the best trial, the charts, Compare and the registry.

Each step asserts on what is on screen and leaves a screenshot at the README's size (1500x1000) in
tests/artifacts/, the pictures reports/examples/ shows.
"""

from __future__ import annotations

import re

import pytest
import yaml

from reports.store.names import objective_metric
from tests.conftest import ROOT, searched, tiny_copy
from tests.processes import runner_ui
from tests.ui.conftest import SCREENSHOTS

pytestmark = pytest.mark.slow

DEFAULT = ROOT / "experiments" / "digits_cnn.yaml"
OBJECTIVE = objective_metric(yaml.safe_load(DEFAULT.read_text())["objective"])


@pytest.fixture(scope="module")
def default_search(tmp_path_factory):
    """experiments/digits_cnn.yaml, the README's first command, shrunk to three trials of two epochs."""
    tmp = tmp_path_factory.mktemp("readme-path")
    path = tiny_copy(DEFAULT, tmp, {"max_trials": 3, "epochs": 2, "patience": 0})
    done = searched(path, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp


@pytest.fixture(scope="module")
def ui(default_search):
    """`automl ui` on the store: the root URL and the experiment's URL it prints."""
    with runner_ui(default_search) as (proc, port):
        printed = proc.stdout.readline() + proc.stdout.readline()
        runs_url = re.search(r"digits-cnn: (\S+)", printed).group(1)
        yield {"root": f"http://127.0.0.1:{port}", "runs": runs_url}


def _shot(page, name: str) -> None:
    close = page.get_by_label("Close", exact=True)  # MLflow's assistant panel, open on every page
    if close.count() and close.first.is_visible():
        close.first.click()
    page.screenshot(path=SCREENSHOTS / f"{name}.png")


def test_1_the_experiment_link_lands_on_the_runs_table(ui, page):
    page.goto(ui["root"] + "/")
    page.get_by_text("Model training", exact=True).first.click()  # MLflow 3.17 opens on GenAI; kept per browser
    page.get_by_role("link", name="digits-cnn").first.click()
    page.locator("[role=row]", has_text="random search").first.wait_for()
    assert page.locator("[role=row]", has_text="random search").count() == 1
    assert page.get_by_text("Model registry").count() >= 1  # the model-training sidebar, not GenAI's
    _shot(page, "mlflow-1-runs")


def _trials(page):
    """The trials' rows, unfolded under their search if they are not already (MLflow remembers it)."""
    parent = page.locator("[role=row]", has_text="random search").first
    parent.wait_for()
    trials = page.locator("[role=row]", has_text="(trial ")
    if not trials.count():
        parent.locator("button").first.click()
    trials.first.wait_for()
    return trials


def _view(page, mode: str) -> None:
    """The runs page's view switch: TABLE or CHART."""
    page.locator("label", has=page.locator(f"input[value={mode}]")).first.click()


def test_2_the_best_trial_is_found_without_typing(ui, page):
    page.goto(ui["runs"])
    _trials(page)
    best = page.locator("[role=row]", has_text="best: ")
    best.first.wait_for()
    assert best.count() == 1 and re.search(r"best: dropout=\S+ learning_rate=", best.first.inner_text())
    _shot(page, "mlflow-2-best-trial")


def test_3_the_chart_view_opens_on_the_objective_and_the_learning_curves(ui, page):
    page.goto(ui["runs"])
    _trials(page)
    _view(page, "CHART")
    page.get_by_text(OBJECTIVE).first.wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()  # drawn, not loading
    lines = [line.strip() for line in page.inner_text("body").splitlines()]
    sections = [
        name for name, count in zip(lines, lines[1:], strict=False) if re.fullmatch(r"\(\d+\)", count)
    ]  # "name", "(n)"
    assert sections[:2] == ["objective", "per_epoch"], sections
    curves = page.get_by_text("per_epoch", exact=True).first.bounding_box()
    assert curves["y"] < 1000, curves  # on the first screen
    _shot(page, "mlflow-3-charts")


def test_4_compare_plots_the_searched_values_against_the_objective(ui, page):
    page.goto(ui["runs"])
    _view(page, "TABLE")
    trials = _trials(page)
    for i in range(trials.count()):
        trials.nth(i).locator("input[type=checkbox]").first.check(force=True)
    page.get_by_role("button", name=re.compile("^Compare")).first.click()
    axes = page.locator(".js-plotly-plot text.axis-title")
    axes.first.wait_for()
    titles = set(axes.evaluate_all("nodes => nodes.map(n => n.textContent)"))
    assert OBJECTIVE in titles and {"dropout", "learning_rate"} <= titles, titles
    _shot(page, "mlflow-4-compare")


def test_5_the_registered_model_links_to_its_logged_model(ui, page):
    page.goto(ui["root"] + "/#/models/digits-cnn/versions/1?workflowType=machine_learning")
    page.get_by_text("Version 1").first.wait_for()
    page.get_by_text("Loading source model").wait_for(state="detached")
    source = page.locator("a", has_text="best_model").first
    source.wait_for()
    assert re.search(r"/models/m-[0-9a-f]+", source.get_attribute("href")), source.get_attribute("href")
    body = page.inner_text("body")
    assert "Trial " in body and "of the random search of 'digits-cnn'" in body  # its description
    _shot(page, "mlflow-5-registry")
