"""The chief of a distributed search: KerasTuner's own oracle service over gRPC, served so that it ends.

KerasTuner's `oracle_chief.start_server` blocks in a loop that checks for the
end every 20 s and cannot be stopped from outside; and an oracle that stops a
search after too many consecutive failed trials raises inside `end_trial`,
before it lets go of the trial: the worker gets a gRPC error, and the chief
waits for that trial for ever. Here the same servicer runs on a server the
search process starts and stops itself, and a stop for failures ends the
search the way its budget does: every worker asking for a trial is told to
stop.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures

import grpc

from pipelines.kerastuner_compat import quiet_condition_prints, serve_oracle

quiet_condition_prints()

LOOPBACK = "127.0.0.1"
NO_AUTH_WARNING = (
    "warning: KerasTuner's oracle has no authentication and no TLS; listening on {host} lets anyone "
    "who reaches this port hand out and end trials. Keep it on a private network or behind an SSH "
    "tunnel."
)


def worker_environment(address: str, tuner_id: str) -> dict[str, str]:
    """The variables that make a KerasTuner tuner a worker of the chief at `address` (HOST:PORT)."""
    host, port = split_address(address)
    return {"KERASTUNER_ORACLE_IP": host, "KERASTUNER_ORACLE_PORT": str(port), "KERASTUNER_TUNER_ID": tuner_id}


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 10.0.0.5:8470)")
    return host, int(port)


class OracleServer:
    """Serves `oracle` on host:port (port 0: any free one, read back from `port`) until `stop`."""

    def __init__(
        self, oracle, host: str = LOOPBACK, port: int = 0, on_failures_stop: Callable[[str], None] = lambda reason: None
    ):
        self.oracle = oracle
        oracle.on_failures_stop = on_failures_stop  # `pipelines.oracles.Stopping`: stop, do not raise
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))  # one call at a time, as KerasTuner's
        serve_oracle(self._server, oracle)
        self.port = self._server.add_insecure_port(f"{host}:{port}")
        if self.port == 0:
            raise OSError(f"cannot listen on {host}:{port} (in use, or not an address of this machine)")
        self.address = f"{host}:{self.port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=2).wait(10)

    def __enter__(self) -> OracleServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
