"""colorize-video: videos (anything FFmpeg reads) into MP4s, with flicker metrics (docs/video.md)."""

from __future__ import annotations

import os
import sys

from colordisc_tf.constants import DEFAULT_MAX_PIXELS, VIDEO_HISTORY_WEIGHT
from pipelines.commands.common import UserError, output_apart_from

__all__ = ["register"]


def register(sub) -> None:
    vid = sub.add_parser("colorize-video", help="colorize videos (anything FFmpeg reads) into MP4s, with flicker metrics")
    vid.add_argument("inputs", nargs="+", metavar="VIDEO", help="video files or folders (a folder: its files named "
                     "like videos)")
    vid.add_argument("--model", required=True, help="a generator's model directory (generator.keras + config.json) "
                     "or its serving SavedModel")
    vid.add_argument("--output", required=True, help="folder for <name>.mp4, <name>.metrics.json and <name>.metrics.png")
    vid.add_argument("--temporal", choices=("none", "stable"), default="stable",
                     help="none: each frame on its own (as serving colorizes an image); stable (default): the colour "
                     "decision carried along the optical flow from frame to frame, reset at shot cuts")
    vid.add_argument("--runtime", choices=("tensorflow", "onnx"), default="tensorflow",
                     help="what runs the network: tensorflow (default), or onnx: ONNX Runtime on the CPU, converted "
                     "in memory and checked against TensorFlow first (needs onnxruntime and tf2onnx; docs/video.md, "
                     "ONNX Runtime, says when it is faster)")
    vid.add_argument("--max-frames", type=int, default=None, metavar="N", help="only the first N frames (a preview)")
    vid.add_argument("--history-weight", type=float, default=VIDEO_HISTORY_WEIGHT, metavar="W",
                     help=f"stable: weight of the carried history against the current frame (default {VIDEO_HISTORY_WEIGHT})")
    vid.add_argument("--discriminator", default=None,
                     help="a discriminator's model directory or SavedModel: each frame's realness in the metrics")
    vid.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                     help=f"skip videos whose frames have more than N pixels (default {DEFAULT_MAX_PIXELS:,}, as serving)")
    vid.add_argument("--overwrite", action="store_true", help="replace outputs an earlier colorize-video wrote "
                     "(otherwise they are skipped; other files of the same names are never replaced)")
    vid.set_defaults(func=colorize_video)


def colorize_video(args) -> int:
    """Each video colorized to <output>/<name>.mp4 with its flicker metrics beside it; a video
    that cannot be read or written is skipped with its reason."""
    from colordisc_tf.serve.colorize_files import output_names
    from colordisc_tf.serve.model_ref import resolve_model
    from colordisc_tf.video.colorize_video import VideoSettings, colorize_videos, metrics_paths
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer, load_frame_scorer
    from colordisc_tf.video.video_files import list_videos

    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be >= 1, got {args.max_frames}")
    if not 0.0 <= args.history_weight < 1.0:
        raise UserError(f"--history-weight must be in [0, 1), got {args.history_weight}")
    paths, skipped = list_videos(args.inputs)
    if not paths:
        raise UserError(f"no video files in {' '.join(args.inputs)}")
    output = output_apart_from(paths, args.output)
    try:
        model = resolve_model(args.model, "generator")
        colorizer = load_frame_colorizer(model.keras or model.saved_model, args.runtime)
        scorer = None
        if args.discriminator:
            discriminator = resolve_model(args.discriminator, "discriminator", "--discriminator")
            scorer = load_frame_scorer(discriminator.keras or discriminator.saved_model)
    except ValueError as e:
        raise UserError(str(e)) from None
    if args.max_pixels < 1:
        raise UserError(f"--max-pixels must be >= 1, got {args.max_pixels}")
    settings = VideoSettings(temporal=args.temporal, max_frames=args.max_frames, history_weight=args.history_weight,
                             max_pixels=args.max_pixels)
    os.makedirs(output, exist_ok=True)
    written, failed = colorize_videos(paths, output_names(paths, ".mp4"), output, colorizer, settings, scorer,
                                      overwrite=args.overwrite)
    for path, reason in skipped + failed:
        print(f"colorize-video: skipped {path}: {reason}", file=sys.stderr)
    for path, summary in written.items():
        realness = f", realness {summary['realness_mean']:.3f}" if "realness_mean" in summary else ""
        warp = "n/a" if summary["warp_error"] is None else f"{summary['warp_error']:.5f}"
        cdc = "n/a" if summary["cdc"] is None else f"{summary['cdc']:.4f}"
        ended = f" ({summary['ended_early']})" if summary["ended_early"] else ""
        print(f"{summary['output']}: {summary['frames']} frames{ended} at {summary['frames_per_second']:.1f} frames/s; "
              f"CDC {cdc}, warp error {warp}, colourfulness {summary['colorfulness_mean']:.1f}{realness}; "
              f"metrics {metrics_paths(summary['output'])[0]}")
        for warning in summary["warnings"]:
            print(f"colorize-video: warning: {path}: {warning}", file=sys.stderr)
    print(f"colorize-video: {len(written)} written, {len(skipped) + len(failed)} skipped -> {args.output}")
    return 0 if written else 1
