"""What the data-scaling benchmarks share: the runners' fixed start-up and the printed table
(images/s, ratio to the plain loop, and a two-point fit of fixed + per-image cost)."""

import time

__all__ = ["beam_runners", "trivial_pipeline_s", "print_scaling"]


def beam_runners(stack, portable: bool) -> dict:
    """{name: Beam flags}: the DirectRunner (one worker per core) and, with `portable`, a local job
    service + worker pool (colordisc beam-cluster) that `stack` (an ExitStack) stops."""
    import os

    from colordisc_tf.infra.beam_cluster import local_beam_cluster
    from colordisc_tf.infra.beam_options import default_beam_args

    runners = {f"Beam DirectRunner ({os.cpu_count()} workers)": default_beam_args()}
    if portable:
        runners["Beam portable (job service + 1 SDK worker)"] = stack.enter_context(local_beam_cluster())
    return runners


def trivial_pipeline_s(beam_args) -> float:
    """Seconds of a pipeline that does nothing: the runner's fixed start-up."""
    import apache_beam as beam

    from colordisc_tf.infra.beam_options import pipeline_options

    start = time.perf_counter()
    with beam.Pipeline(options=pipeline_options(beam_args)) as p:
        _ = p | beam.Create(list(range(8))) | beam.Reshuffle() | beam.Map(abs)
    return time.perf_counter() - start


def print_scaling(seconds: dict, startup: dict, sizes: list[int]) -> None:
    """seconds: {(path name, images): s}, the plain loop's name first; startup: {path name: s}."""
    print(f"{'path':46s} {'images':>7s} {'seconds':>8s} {'images/s':>9s} {'vs plain':>9s}")
    paths_timed = list(dict.fromkeys(name for name, _ in seconds))
    for n in sizes:
        plain = seconds[(paths_timed[0], n)]
        for name in paths_timed:
            s = seconds[(name, n)]
            print(f"{name:46s} {n:7d} {s:8.1f} {n / s:9.1f} {plain / s:8.2f}x")
    for name, s in startup.items():
        print(f"fixed start-up of {name} (a trivial pipeline): {s:.1f} s")
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        print(f"cost growth from {small} to {large} images (two-point linear fit: fixed + per image):")
        for name in paths_timed:
            per_image = (seconds[(name, large)] - seconds[(name, small)]) / (large - small)
            fixed = seconds[(name, small)] - small * per_image
            print(f"  {name:46s} fixed {fixed:6.1f} s, {1000 * per_image:6.1f} ms/image "
                  f"({1 / per_image:5.1f} images/s once started)")
