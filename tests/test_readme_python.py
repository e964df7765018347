"""The README's Python section runs as written, in a plain script without a main guard."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from pypdf import PdfReader

from tests.conftest import ROOT


def _run_readme_python(heading: str, tmp_path) -> subprocess.CompletedProcess:
    """The first Python block of the README's section `heading`, run as a plain script in `tmp_path`."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    script = tmp_path / "example.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n" + code)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.mark.slow
def test_the_readme_python_example_runs_as_written(tmp_path):
    proc = _run_readme_python("## From Python", tmp_path)
    assert re.search(r"^\d+ [\d.]+ the best model's test accuracy", proc.stdout, flags=re.M), proc.stdout[-2000:]
    assert "depth" in proc.stdout and "Downloading artifacts" not in proc.stderr
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / "digits-from-python.pdf").pages)
    assert "Hyperparameter search: digits-from-python" in text
    assert (tmp_path / "automl.log").exists()  # the libraries' messages, as from the command line


def test_an_experiment_as_a_dict_is_validated_as_a_file_is(tmp_path):
    from pipelines.api import load_experiment
    from pipelines.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\(dict\): search_space.dropuot: unknown hyperparameter"):
        load_experiment({"name": "x", "data": {"source": "digits"}, "family": "cnn", "search_space": {"dropuot": 0.2}})
    with pytest.raises(ConfigError, match=r"name: required key is missing"):
        load_experiment({"data": {"source": "digits"}, "family": "cnn"})
    (tmp_path / "t.csv").write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(30)))
    experiment = load_experiment(
        {"name": "x", "data": {"source": "csv", "path": "t.csv", "target": "label"}, "family": "mlp"}, base_dir=tmp_path
    )
    assert experiment.data.path == "t.csv" and experiment.objective == "val_accuracy"


@pytest.mark.slow
def test_the_readme_use_the_model_example_predicts_each_source_with_its_champion(tmp_path):
    proc = _run_readme_python("## Use the model", tmp_path)
    for name, count in (("weather", 300), ("texts", 120), ("sales", 109), ("digits", 20)):
        assert re.search(rf"^{name} {count} predictions by models:/m-\w+", proc.stdout, flags=re.M), proc.stdout[-3000:]
    assert re.search(r"^weather 300 predictions by models:/m-\w+: (stay|walk) \d+", proc.stdout, flags=re.M)
    assert "the forecast after the last window (2024-12): " in proc.stdout
