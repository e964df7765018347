"""Command line of the Keras AutoML runner: `search` an experiment file (on `--workers`, joined by a `worker`
elsewhere), run a `study`, `report` on a search, list its `trials`, `predict` with its model, open the `ui`,
start a tracking `server`.

Kept thin: each command parses its arguments and calls one function of
`pipelines`; errors a user can fix are printed as one paragraph, without a
traceback, and exit with status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import sys
from pathlib import Path

from pipelines import interrupts
from pipelines.errors import ConfigError
from pipelines.logs import load_tensorflow, quiet_libraries

DEFAULT_EXPERIMENT = Path(__file__).parent / "experiments" / "digits_cnn.yaml"
STUDIES = Path(__file__).parent / "experiments" / "studies"


def cmd_search(args: argparse.Namespace) -> int:
    from pipelines import commands

    return commands.search(
        args.experiment,
        time_budget=args.time_budget,
        workers=args.workers,
        chief_host=args.chief_host,
        chief_port=args.chief_port,
        resume=args.resume,
        verbose=args.verbose,
    )


def cmd_predict(args: argparse.Namespace) -> int:
    """Answers of a search's model for new data as the user has it, written to a CSV."""
    from rich.console import Console

    from pipelines.logs import library_logs_to_file
    from pipelines.predict import predict

    console = Console()
    library_logs_to_file(args.tracking_uri, ".", args.verbose, console)
    load_tensorflow()
    result = predict(args.model, args.data, args.tracking_uri)
    out = Path(args.out or f"{Path(args.data).stem}-predictions.csv")
    result.answers.to_csv(out, index=False)
    for note in result.notes:
        console.print(f"Data: {note}", highlight=False)
    console.print(result.summary(), highlight=False)
    console.print(f"answers written to {out}", highlight=False)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Train trials of a running search's chief until it has none left."""
    from rich.console import Console

    from pipelines.config import load_experiment
    from pipelines.distributed.oracle_service import split_address
    from pipelines.distributed.remote_worker import CHIEF_GONE_EXIT, run_worker
    from pipelines.logs import library_logs_to_file

    try:
        split_address(args.chief)
    except ValueError as exc:
        raise ConfigError(f"--chief: {exc}.") from None
    experiment = load_experiment(args.experiment)
    console = Console()
    library_logs_to_file(experiment.tracking_uri, experiment.tuner_dir, args.verbose, console)
    load_tensorflow()
    worker_id = args.id or f"{socket.gethostname()}-{os.getpid()}"
    try:
        run_worker(experiment, args.chief, worker_id, args.parent_run, console)
    except KeyboardInterrupt:
        if interrupts.reason is None:
            raise
        print(f"error: {interrupts.reason}", file=sys.stderr)
        return CHIEF_GONE_EXIT
    console.print(f"{worker_id}: the chief has no trials left; done.")
    return 0


def cmd_server(args: argparse.Namespace) -> int:
    """An MLflow tracking server for a team: its runs in a database, its artifacts served through it."""
    if args.host != "127.0.0.1":
        print(
            f"warning: listening on {args.host}. Without --basic-auth anyone who reaches this port reads and "
            "writes every run; with it, put it behind TLS (a reverse proxy) too.",
            file=sys.stderr,
        )
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        args.backend_store_uri,
        "--serve-artifacts",
        "--artifacts-destination",
        args.artifacts_destination,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
    ]
    env = None
    if args.basic_auth:
        env = {**os.environ, **_basic_auth_env()}
        command += ["--app-name", "basic-auth"]
    return _serve(
        command,
        env,
        f"MLflow server on http://{args.host}:{args.port} (runs in {args.backend_store_uri}, "
        f"artifacts in {args.artifacts_destination}); experiment files use tracking_uri: "
        f"http://{args.host}:{args.port}. Ctrl-C stops it.",
    )


AUTH_USERS_DB = "basic_auth.db"  # where MLflow's basic-auth app keeps its users: the working directory
AUTH_SECRET_FILE = "basic_auth.secret"  # the key that signs the login's CSRF tokens, kept beside the users


def _basic_auth_env() -> dict[str, str]:
    """What MLflow's login needs, checked before the server starts rather than after its banner: the auth extra's
    packages; on a first start (no users yet) the admin's password, which MLflow 3 no longer defaults; and a
    secret key for its forms, made once and kept so that a restart keeps users' sessions valid."""
    import importlib.util
    import secrets

    if importlib.util.find_spec("flask_wtf") is None:
        raise ConfigError(
            "--basic-auth: MLflow's login needs the server extra's packages; install them with "
            "pip install -e '.[server]'."
        )
    if not Path(AUTH_USERS_DB).exists() and not os.environ.get("MLFLOW_AUTH_ADMIN_PASSWORD"):
        raise ConfigError(
            f"--basic-auth: the first start creates the user admin (in {Path(AUTH_USERS_DB).resolve()}) "
            "with the password in MLFLOW_AUTH_ADMIN_PASSWORD, which is not set; export "
            "MLFLOW_AUTH_ADMIN_PASSWORD='a strong password' and start again."
        )
    if os.environ.get("MLFLOW_FLASK_SERVER_SECRET_KEY"):
        return {}
    secret = Path(AUTH_SECRET_FILE)
    if not secret.exists():
        secret.touch(mode=0o600)
        secret.write_text(secrets.token_hex(32))
    return {"MLFLOW_FLASK_SERVER_SECRET_KEY": secret.read_text().strip()}


def _serve(command: list[str], env: dict[str, str] | None, started: str, log: Path | None = None) -> int:
    """Run an MLflow server in the foreground until it exits or Ctrl-C stops it; its own messages (gunicorn's,
    MLflow's) go to `log` when one is given."""
    import subprocess

    with open(log, "ab") if log else contextlib.nullcontext() as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT if out else None)
    print(started, flush=True)
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait(timeout=30)
        return 0


def cmd_study(args: argparse.Namespace) -> int:
    from pipelines import commands

    path = Path(args.name) if args.name.endswith((".yaml", ".yml")) else STUDIES / f"{args.name}.yaml"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in STUDIES.glob("*.yaml")))
        raise ConfigError(f"{path}: no such study; the studies are: {names}.")
    return commands.study(path, args.language, args.verbose)


def _study_or_none(tracking_uri: str, reference: str):
    """The study `reference` names (a study run, or an experiment that has one), else None."""
    from reports.store.errors import ReportError
    from reports.study import load_study

    try:
        return load_study(tracking_uri, reference)
    except ReportError:
        return None


def cmd_report(args: argparse.Namespace) -> int:
    from reports.build import build_report
    from reports.compare import build_comparison
    from reports.source import load_search
    from reports.study import build_study_report

    if len(args.experiments) == 1:
        study = _study_or_none(args.tracking_uri, args.experiments[0])
        if study is not None:
            out = build_study_report(
                study, Path(args.out or f"{study.experiment_name}-study-report.pdf"), args.language or "en"
            )
            print(f"study report of {study.experiment_name} (study run {study.run.info.run_id}): {out}")
            return 0
    records = [load_search(args.tracking_uri, reference) for reference in args.experiments]
    if len(records) == 1:
        out = build_report(
            records[0], Path(args.out or f"{records[0].experiment_name}-report.pdf"), language=args.language or "en"
        )
    else:
        out = build_comparison(records, Path(args.out or "comparison-report.pdf"), args.language or "en")
    print(
        "report of "
        + ", ".join(f"{r.experiment_name} (parent run {r.parent.info.run_id})" for r in records)
        + f": {out}"
    )
    return 0


def cmd_trials(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipelines.summary import print_trimmed, trials_table
    from reports.source import load_search
    from reports.store.names import BEST_TRIAL_PARAM

    record = load_search(args.tracking_uri, args.experiment)
    if args.csv:
        record.trials.to_csv(args.csv, index=False)
        print(f"{len(record.trials)} trials of {record.experiment_name} written to {args.csv}")
        return 0
    print_trimmed(
        Console(),
        trials_table(
            record.trials,
            f"{record.experiment_name} (parent run {record.parent.info.run_id}): trials by {record.objective}",
            record.params.get(BEST_TRIAL_PARAM),
        ),
    )
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    """The MLflow UI on the store, on this machine only unless a host is given; runs until Ctrl-C."""
    from pipelines.logs import library_logs_to_file
    from reports.store.opening import open_store, sqlite_path

    if args.tracking_uri.startswith(("http://", "https://")):
        print(f"{args.tracking_uri} is an MLflow server already: open it in a browser.")
        return 0
    # MLflow's warnings on import (pydantic 2.6's about its fields) go to the log the UI's own messages go to.
    library_logs_to_file(args.tracking_uri, ".", getattr(args, "verbose", False), None, announce=False)
    client = open_store(args.tracking_uri, create=False)  # a clear error for a store that is not there
    if args.host != "127.0.0.1":
        print(
            f"warning: the MLflow UI has no login; listening on {args.host} shows every run to the network.",
            file=sys.stderr,
        )
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        args.tracking_uri,
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        "1",
    ]  # one is plenty for a person
    root = f"http://{args.host}:{args.port}"
    database = sqlite_path(args.tracking_uri)
    log = (database.parent if database else Path(".")) / "automl.log"
    return _serve(
        command,
        None,
        f"MLflow UI on {args.tracking_uri}: {root} (Ctrl-C stops it; its messages go to "
        f"{log})" + "".join(f"\n  {line}" for line in _latest_searches(client, root)),
        log,
    )


def _latest_searches(client, root: str, shown: int = 5) -> list[str]:
    """Where each experiment's runs are, newest search first: `name: URL` lines, the URL opening the runs table
    (the experiment's tag mlflow.experimentKind picks MLflow 3's model-training view)."""
    from reports.store.names import ROLE_TAG

    experiments = []
    for experiment in client.search_experiments():
        runs = client.search_runs(
            [experiment.experiment_id],
            f"tags.`{ROLE_TAG}` = 'search'",
            order_by=["attributes.start_time DESC"],
            max_results=1,
        )
        if runs:
            experiments.append((runs[0].info.start_time, experiment))
    experiments.sort(key=lambda pair: pair[0], reverse=True)
    # The query picks the model-training sidebar (runs, models, the registry); MLflow 3.17 opens on GenAI otherwise.
    lines = [
        f"{e.name}: {root}/#/experiments/{e.experiment_id}/runs?workflowType=machine_learning"
        for _, e in experiments[:shown]
    ]
    if len(experiments) > shown:
        lines.append(f"... and {len(experiments) - shown} more experiments at {root}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=Path(sys.argv[0]).name, description=__doc__.splitlines()[0]
    )  # automl or runner.py
    commands = parser.add_subparsers(dest="command", required=True)
    _search_command(commands)
    _worker_command(commands)
    _study_command(commands)
    _report_command(commands)
    _predict_command(commands)
    _trials_command(commands)
    _ui_command(commands)
    _server_command(commands)
    return parser


def _search_command(commands) -> None:
    search = _command(commands, "search", cmd_search, "run a hyperparameter search described by an experiment file")
    search.add_argument(
        "experiment",
        nargs="?",
        default=str(DEFAULT_EXPERIMENT),
        help="experiment YAML (default: experiments/digits_cnn.yaml)",
    )
    search.add_argument(
        "--resume",
        action="store_true",
        help="carry on the experiment's latest unfinished search (same parent run, finished trials kept)",
    )
    search.add_argument(
        "--verbose",
        action="store_true",
        help="show MLflow's, TensorFlow's and KerasTuner's own messages instead of logging them to a file",
    )
    search.add_argument(
        "--workers",
        metavar="N",
        help="train on N worker processes (auto: one per GPU, else one per core), this process "
        "being KerasTuner's chief; without it the search runs in this process",
    )
    search.add_argument(
        "--time-budget",
        metavar="DURATION",
        help="start trials until this much time is spent training (seconds, or 90s, 30m, 2h); wins over the "
        "file's tuner.time_budget",
    )
    search.add_argument(
        "--chief-host",
        default="127.0.0.1",
        help="interface the chief listens on for workers (default: this machine only; another "
        "needs a private network: KerasTuner's oracle has no authentication)",
    )
    search.add_argument("--chief-port", type=int, default=0, help="the chief's port (default: any free one)")


def _worker_command(commands) -> None:
    worker = _command(
        commands, "worker", cmd_worker, "train trials of a search running on another machine", verbose=True
    )
    worker.add_argument("experiment", help="the search's experiment YAML (same data paths and tracking_uri)")
    worker.add_argument("--chief", required=True, metavar="HOST:PORT", help="where the search's chief listens")
    worker.add_argument(
        "--id",
        help="this worker's KerasTuner tuner id; started again with the same id, a worker "
        "takes back the trial it was running (default: HOST-PID)",
    )
    worker.add_argument("--parent-run", help="the search's parent run id (default: found in the tracking store)")


def _study_command(commands) -> None:
    study = _command(
        commands, "study", cmd_study, "run a study from experiments/studies and answer its question", verbose=True
    )
    study.add_argument("name", help="study name (e.g. gated_cells) or a study YAML file")
    _language_option(study, "the study report's language (default: the study file's report.language, else en)")


def _report_command(commands) -> None:
    report = _command(commands, "report", cmd_report, "write a PDF report of a search, read from MLflow", store=True)
    report.add_argument(
        "experiments",
        nargs="+",
        metavar="EXPERIMENT",
        help="experiment name (its latest study, else its latest search), a parent or study run id; "
        "several searches compare side by side",
    )
    report.add_argument("--out", help="PDF path (default: EXPERIMENT-report.pdf)")
    _language_option(report, "the report's language: en (default) or zh, Simplified Chinese")


def _language_option(command, help: str) -> None:
    from reports.words import LANGUAGES

    command.add_argument("--language", choices=LANGUAGES, help=help)


def _predict_command(commands) -> None:
    predict = _command(
        commands,
        "predict",
        cmd_predict,
        "answer new data with a search's model, written to a CSV",
        store=True,
        verbose=True,
    )
    predict.add_argument(
        "model",
        help="an experiment's name (its registered champion), models:/NAME@champion or another models:/ or runs:/ "
        "URI, or a .keras file",
    )
    predict.add_argument(
        "data",
        help="data as the model's source reads it: a CSV, a text file or folder, an image folder, a series CSV "
        "(answers each window; the last is the next value)",
    )
    predict.add_argument("--out", help="CSV of the answers (default: DATA-predictions.csv here)")


def _trials_command(commands) -> None:
    trials = _command(
        commands, "trials", cmd_trials, "the trials of a search as a table, or as CSV with --csv", store=True
    )
    trials.add_argument("experiment", help="experiment name (its latest search) or a parent run id")
    trials.add_argument("--csv", help="write the table to this CSV file instead of printing it")


def _ui_command(commands) -> None:
    ui = _command(commands, "ui", cmd_ui, "open the MLflow UI on the store (http://127.0.0.1:5000)", store=True)
    _listening(ui)


def _server_command(commands) -> None:
    server = _command(
        commands, "server", cmd_server, "start an MLflow tracking server for a team (PostgreSQL, artifacts)"
    )
    server.add_argument(
        "--backend-store-uri",
        required=True,
        help="where runs are kept, e.g. postgresql://user:password@host:5432/mlflow",
    )
    server.add_argument("--artifacts-destination", required=True, help="folder (or s3://...) the artifacts go to")
    _listening(server)
    server.add_argument("--workers", type=int, default=2, help="server processes (default: %(default)s)")
    server.add_argument(
        "--basic-auth",
        action="store_true",
        help="require a login (MLflow's basic-auth app); the first start creates the user admin with "
        "the password in MLFLOW_AUTH_ADMIN_PASSWORD",
    )


def _command(commands, name: str, func, help: str, store: bool = False, verbose: bool = False):
    """A subcommand that runs `func`, with the options several share: the store to read (`store`), and whether
    the libraries' own messages show (`verbose`)."""
    command = commands.add_parser(name, help=help)
    command.set_defaults(func=func)
    if store:
        command.add_argument(
            "--tracking-uri", default="sqlite:///mlflow.db", help="MLflow store (default: %(default)s)"
        )
    if verbose:
        command.add_argument("--verbose", action="store_true", help="show the libraries' own messages")
    return command


def _listening(command) -> None:
    """Where a server command listens: this machine only unless told otherwise."""
    command.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: this machine only)")
    command.add_argument("--port", type=int, default=5000)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    quiet_libraries()
    interrupts.install()
    from reports.store.errors import RunnerError

    try:
        return args.func(args)
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: open MLflow runs were marked KILLED; `search FILE --resume` carries the search on",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
