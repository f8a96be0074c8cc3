"""`colordisc serve`'s server: the app on uvicorn, bound to loopback unless told otherwise."""

from __future__ import annotations

import logging

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "serve_page"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def serve_page(models, settings, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, on_ready=None) -> None:
    """Serves until interrupted. on_ready(url) is called once the socket listens (port 0: any free)."""
    import uvicorn

    from colordisc_tf.web.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = uvicorn.Config(create_app(models, settings), host=host, port=port, log_level="warning",
                            access_log=False, server_header=False, proxy_headers=False, lifespan="off")
    server = uvicorn.Server(config)

    if on_ready is not None:
        startup = server.startup

        async def started(sockets=None):
            await startup(sockets)
            bound = server.servers[0].sockets[0].getsockname()
            shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
            on_ready(f"http://{shown}:{bound[1]}/")

        server.startup = started
    server.run()
