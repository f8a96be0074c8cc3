"""Frames/s of `colordisc colorize-video` at 360p and 720p, temporal none vs stable.

The whole path a user runs (decode, colorize, H.264 encode, flicker metrics) on a pan across
a real photo, with the demo's generator shape (width 0.125, serving size 128; untrained:
speed does not depend on the weights). Printed as stable / none (the issue's budget:
stable costs at most 1.5x, i.e. a ratio >= 0.67). CPU by default; on a JAX host with a GPU,
KERAS_BACKEND=jax runs the network there (the rest stays on the CPU).

    .venv/bin/python -m benchmarks.video [--frames 48] [--repeats 2] [--json out.json]
"""

import argparse
import os
import tempfile

import numpy as np

from benchmarks.harness import best_seconds, print_ratios, write_json

SIZES = {"360p": (360, 640), "720p": (720, 1280)}


def pan_clip(path: str, size, frames: int) -> None:
    """A window panned across scikit-image's astronaut (upscaled to hold the window) as H.264."""
    from fractions import Fraction

    import av
    import cv2
    from skimage import data

    h, w = size
    photo = cv2.resize(data.astronaut(), (w + frames * 3, h + frames * 2), interpolation=cv2.INTER_CUBIC)
    with av.open(path, "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = h, w, "yuv420p"
        for t in range(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(photo[2 * t:2 * t + h, 3 * t:3 * t + w]),
                                               format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--width", type=float, default=0.125)
    parser.add_argument("--serving-size", type=int, default=128)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.saving import save_generator
    from colordisc_tf.video.colorize_video import VideoSettings, colorize_video
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    work = tempfile.mkdtemp(prefix="colordisc-video-bench-")
    save_generator(build_generator(args.width), GeneratorConfig(width=args.width, serving_size=args.serving_size),
                   os.path.join(work, "generator"), export=False)
    colorizer = load_frame_colorizer(os.path.join(work, "generator"))
    rows, results = [], {}
    for name, size in SIZES.items():
        clip = os.path.join(work, f"{name}.mp4")
        pan_clip(clip, size, args.frames)
        rates = {}
        for mode in ("none", "stable"):
            out = os.path.join(work, f"{name}-{mode}.mp4")

            def run():
                if os.path.exists(out):
                    os.remove(out)
                colorize_video(clip, out, colorizer, VideoSettings(temporal=mode), progress=False)

            rates[mode] = args.frames / best_seconds(run, args.repeats)
        results[name] = rates
        rows.append((name, rates["stable"], rates["none"]))
    print_ratios(rows, "stable", "none", unit="frames/s")
    write_json(args.json, {"frames": args.frames, "width": args.width, "serving_size": args.serving_size,
                           "frames_per_second": results})


if __name__ == "__main__":
    main()
