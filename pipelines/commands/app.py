"""The `colordisc` parser and entry point: each command group's module registers its commands.

Adding a command: a module here with `register(sub)` (its arguments beside its handler; heavy
imports inside the handler so that `colordisc --help` stays fast) and one line in GROUPS."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from pipelines.commands.common import UserError

# TensorFlow's C++ start-up chatter (CUDA probing on CPU hosts) is not for CLI users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["GROUPS", "build_parser", "main"]

#: the command modules, in the order `colordisc --help` lists their commands
GROUPS = (
    "pipelines.commands.data",
    "pipelines.commands.starter",
    "pipelines.commands.cluster",
    "pipelines.commands.pipeline",
    "pipelines.commands.colorize",
    "pipelines.commands.video",
    "pipelines.commands.export",
    "pipelines.commands.evaluate",
    "pipelines.commands.serve",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colordisc",
        description="Colourisation with a realness discriminator (Zhang et al. 2016 + GAN fine-tuning). "
        "User errors are one line (exit code 2); add --debug to any command for the traceback.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in GROUPS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv=None) -> int:
    import logging

    from colordisc_tf.config import ConfigError
    from colordisc_tf.serve.model_ref import ModelRefused

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    debug = "--debug" in extra
    extra = [a for a in extra if a != "--debug"]
    if extra and not getattr(args, "takes_beam_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    bad = [a for a in extra if not a.startswith("--")]
    if bad:
        parser.error(f"unrecognized arguments: {' '.join(bad)} (Beam flags look like --name=value)")
    args.beam_args = extra
    _stop_on_sigterm()
    try:
        return args.func(args)
    except (UserError, ConfigError, ModelRefused, OSError) as e:
        # The user's mistake (a wrong path, an existing output) or the machine's (a read-only
        # filesystem, a full disk), not a bug: one line, the traceback with --debug. Outputs
        # appear whole or not at all (infra.output_folder), so nothing half-written is left.
        if debug:
            raise
        message = str(e) if not isinstance(e, OSError) or not e.strerror else \
            f"{e.filename + ': ' if e.filename else ''}{e.strerror}"
        print(f"colordisc: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("colordisc: interrupted; outputs under their final names are complete or were not written",
              file=sys.stderr)
        return 130


class Stopped(KeyboardInterrupt):
    """A SIGTERM, raised wherever the main thread happens to be; `signum` says which signal."""

    signum: int


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C: context managers stop what they started (beam-cluster's
    services, staging folders) instead of the process vanishing around them.

    A signal's exception is raised in whatever code runs when it arrives. Raised inside a
    finalizer (`__del__`, a weakref or GC callback), Python prints it and drops it: the run
    went on to its next component. Such a drop reaches sys.unraisablehook, which sends the
    signal again a moment later, from outside the finalizer. (Ctrl-C keeps Python's own
    behaviour: a second Ctrl-C.)"""
    import signal
    import threading

    def stop(signum, frame):
        stopped = Stopped(f"signal {signum}")
        stopped.signum = signum
        raise stopped

    def send_again_if_dropped(unraisable):
        previous(unraisable)
        if isinstance(unraisable.exc_value, Stopped):
            signum = getattr(unraisable.exc_value, "signum", signal.SIGTERM)
            resend = threading.Timer(0.1, os.kill, (os.getpid(), signum))
            resend.daemon = True
            resend.start()

    signal.signal(signal.SIGTERM, stop)
    previous = sys.unraisablehook
    if getattr(previous, "__qualname__", "") != send_again_if_dropped.__qualname__:  # once per process
        sys.unraisablehook = send_again_if_dropped
