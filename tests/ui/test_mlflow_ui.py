"""The MLflow UI, served by a real `mlflow server`, shows a finished search in headless Chromium (see
conftest.py); screenshots land in tests/artifacts/ for a person to look at after CI."""

from __future__ import annotations

import pytest

from tests.conftest import OBJECTIVE
from tests.processes import free_port, start_mlflow_server, stop_mlflow_server
from tests.ui.conftest import SCREENSHOTS

pytestmark = pytest.mark.slow  # real searches taking minutes on 2 cores: CI runs them, the fast lane does not


@pytest.fixture(scope="module")
def mlflow_server(finished_search):
    port = free_port()
    server = start_mlflow_server(finished_search["uri"], finished_search["tmp"], port)
    yield f"http://127.0.0.1:{port}"
    stop_mlflow_server(server)


def test_runs_table_shows_the_search_and_its_trials(mlflow_server, page, finished_search):
    parent = finished_search["parents"][0]
    page.goto(f"{mlflow_server}/#/experiments/{parent.info.experiment_id}/runs")
    parent_row = page.locator("[role=row]", has_text=parent.info.run_name).first
    parent_row.wait_for()
    assert parent.info.run_name.startswith("grid search")  # the row stands for the search, by its name
    parent_row.locator("button").first.click()  # expand the nested child runs
    for child in finished_search["children"]:
        page.get_by_text(child.info.run_name, exact=True).wait_for()
    rows = page.locator("[role=row]").all_inner_texts()
    for child in finished_search["children"]:  # each trial is its own row under the search, by its run name
        assert sum(child.info.run_name in row for row in rows) == 1, (child.info.run_name, rows)
    page.screenshot(path=SCREENSHOTS / "mlflow-runs.png", full_page=True)


def test_child_run_page_shows_its_params_and_metrics(mlflow_server, page, finished_search):
    child = finished_search["children"][0]
    page.goto(f"{mlflow_server}/#/experiments/{child.info.experiment_id}/runs/{child.info.run_id}")
    page.get_by_text(f"Parameters ({len(child.data.params)})").wait_for()
    page.get_by_text(f"Metrics ({len(child.data.metrics)})").wait_for()
    body = page.inner_text("body")
    for name in ("optimizer", "test/accuracy", "per_epoch/val_loss", "trial/peak_memory_mb"):
        assert name in body
    assert child.data.params["optimizer"] in body
    assert f"{child.data.metrics['test/accuracy']}"[:6] in body
    page.screenshot(path=SCREENSHOTS / "mlflow-trial.png", full_page=True)


def test_confusion_matrix_artifact_renders(mlflow_server, page, finished_search):
    child = finished_search["children"][0]
    page.goto(f"{mlflow_server}/#/experiments/{child.info.experiment_id}/runs/{child.info.run_id}/artifacts")
    page.get_by_text("confusion_matrix.png", exact=True).click()
    image = page.locator("img[src^='blob:']").first
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") > 500  # the two-panel PNG the trial logged, not an icon
    page.screenshot(path=SCREENSHOTS / "mlflow-confusion-matrix.png", full_page=True)


def test_parent_run_page_shows_the_search_described(mlflow_server, page, finished_search):
    """The parent's description (tag mlflow.note.content) says what was searched and what came of it."""
    parent = finished_search["parents"][0]
    page.goto(f"{mlflow_server}/#/experiments/{parent.info.experiment_id}/runs/{parent.info.run_id}")
    page.get_by_text("Baseline:").first.wait_for()
    body = page.inner_text("body")
    assert "grid search" in body and f"trial {parent.data.params['best_trial_id']}" in body
    assert parent.data.params["best_run_id"] in body
    page.screenshot(path=SCREENSHOTS / "mlflow-search.png", full_page=True)


def test_trial_models_are_logged_models_the_ui_lists(mlflow_server, page, finished_search):
    parent = finished_search["parents"][0]
    page.goto(f"{mlflow_server}/#/experiments/{parent.info.experiment_id}/models")
    page.get_by_text("best_model").first.wait_for()
    assert page.get_by_text("model", exact=True).count() >= len(finished_search["children"])
    page.screenshot(path=SCREENSHOTS / "mlflow-models.png", full_page=True)


def test_compare_page_plots_the_objective_against_the_searched_values_by_default(mlflow_server, page, finished_search):
    """MLflow's Compare page opens on parallel coordinates of the params that differ against the metric each
    run wrote first, and its scatter plot puts the first param on x and the first metric, in sorted order, on
    y: the trials' params are their searched values, and `objective` is first both ways."""
    children = finished_search["children"]
    runs = ",".join(f'"{c.info.run_id}"' for c in children)
    page.goto(f'{mlflow_server}/#/compare-runs?runs=[{runs}]&experiments=["{children[0].info.experiment_id}"]')
    axes = page.locator(".js-plotly-plot text.axis-title")
    axes.first.wait_for()
    searched = {p for c in children for p in c.data.params} - {"trial_id"}
    titles = set(axes.evaluate_all("nodes => nodes.map(n => n.textContent)"))
    assert OBJECTIVE in titles and titles & searched, titles
    assert not any(t.startswith(("per_epoch/", "test/", "trial/")) for t in titles), titles
    page.screenshot(path=SCREENSHOTS / "mlflow-compare.png", full_page=True)
    page.get_by_text("Scatter Plot", exact=True).click()
    page.locator(".js-plotly-plot .ytitle").first.wait_for()
    assert page.locator(".js-plotly-plot .ytitle").first.text_content().startswith("objective/val_accuracy")  # cut
    assert page.locator(".js-plotly-plot .xtitle").first.text_content() in searched
