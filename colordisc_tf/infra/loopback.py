"""Beam's gRPC services listen on loopback unless the user names an address.

Every server Beam starts -- the DirectRunner's control, data, state and logging services in
the pipeline process, the portable job service and its artifact service, the SDK worker
pool -- binds `[::]:PORT`, every interface: anyone who can reach the machine could talk to
them (a worker pool's StartWorker starts a process pointed at an endpoint of the caller's
choosing). They are only ever reached at `localhost:PORT`, so binding there changes
nothing for this machine's clients. Beam has no flag for the address; this replaces the
wildcard where gRPC is asked for it.

    bind_grpc_servers()                 # this process's servers, from now on
    python -m colordisc_tf.infra.loopback HOST MODULE ARGS...   # a Beam service on HOST
"""

from __future__ import annotations

import runpy
import sys

__all__ = ["LOOPBACK", "bind_grpc_servers", "served_on", "reach"]

LOOPBACK = "localhost"  # 127.0.0.1 and ::1, whichever the client resolves first


def served_on(host: str, address: str) -> str:
    """address (a wildcard "[::]:PORT") as the same port on `host`; other addresses unchanged."""
    for wildcard in ("[::]:", "0.0.0.0:"):
        if address.startswith(wildcard):
            port = address[len(wildcard):]
            return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return address


def reach(host: str) -> str:
    """Where this machine's clients reach a server bound to `host` (a wildcard: localhost)."""
    return LOOPBACK if host in (LOOPBACK, "0.0.0.0", "[::]", "::", "") else host


def bind_grpc_servers(host: str = LOOPBACK) -> None:
    """From now on, a gRPC server of this process asked for every interface listens on `host`
    ("localhost" by default; "0.0.0.0" or "[::]" to listen everywhere again)."""
    from grpc import _server

    server_class = _server._Server
    if not hasattr(server_class, "_colordisc_bind_host"):
        original = server_class.add_insecure_port

        def add_insecure_port(self, address):
            return original(self, served_on(server_class._colordisc_bind_host, address))

        server_class.add_insecure_port = add_insecure_port
    server_class._colordisc_bind_host = host


def _main(host: str, module: str, *args: str) -> None:
    bind_grpc_servers(host)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _main(*sys.argv[1:])
