"""`runner.py server --basic-auth`: the login the README documents starts, and keeps out who has no password."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.conftest import ROOT
from tests.processes import free_port, stop_mlflow_server, wait_for_url

PASSWORD = "a-test-password-9"


def _status(url: str, password: str | None = None) -> int:
    request = urllib.request.Request(url)
    if password:
        token = base64.b64encode(f"admin:{password}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _server(tmp_path, port: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "runner.py"),
            "server",
            "--backend-store-uri",
            f"sqlite:///{tmp_path}/runs.db",
            "--artifacts-destination",
            str(tmp_path / "artifacts"),
            "--port",
            str(port),
            "--workers",
            "1",
            "--basic-auth",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.slow
def test_basic_auth_server_answers_401_without_a_login_and_200_with_the_admin_s(tmp_path):
    port = free_port()
    server = _server(tmp_path, port, {**os.environ, "MLFLOW_AUTH_ADMIN_PASSWORD": PASSWORD})
    try:
        assert wait_for_url(f"http://127.0.0.1:{port}/health", server), server.communicate(timeout=30)[0][-3000:]
        url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search?max_results=1"
        assert _status(url) == 401
        assert _status(url, "not-the-password") == 401
        assert _status(url, PASSWORD) == 200
    finally:
        stop_mlflow_server(server)


def test_basic_auth_without_an_admin_password_is_refused_before_the_server_starts(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_AUTH_ADMIN_PASSWORD"}
    server = _server(tmp_path, free_port(), env)
    out, _ = server.communicate(timeout=60)
    assert server.returncode == 2, out[-2000:]
    assert "MLFLOW_AUTH_ADMIN_PASSWORD" in out and "Traceback" not in out
