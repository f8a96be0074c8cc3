"""The options every Beam job of ours runs with, in one place."""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from colordisc_tf.infra import loopback, orphan_reaper

__all__ = ["default_beam_args", "pipeline_options"]

_LOCAL_RUNNERS = {None, "DirectRunner", "direct", "SwitchingDirectRunner", "BundleBasedDirectRunner"}


def default_beam_args() -> list[str]:
    """Local default: DirectRunner, one worker process per core."""
    return ["--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=0"]


def pipeline_options(beam_args) -> PipelineOptions:
    """PipelineOptions for beam_args. A local run's worker processes end with this process,
    even when it is killed (colordisc_tf.infra.orphan_reaper), and the gRPC services this
    process starts for them listen on loopback only (colordisc_tf.infra.loopback)."""
    loopback.bind_grpc_servers()
    options = PipelineOptions(list(beam_args or []))
    if options.view_as(StandardOptions).runner in _LOCAL_RUNNERS:
        orphan_reaper.start()
    return options
