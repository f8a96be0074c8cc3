"""Frames/s of `colordisc colorize-video` at 360p and 720p, temporal none vs stable.

The whole path a user runs (decode, colorize, H.264 encode, flicker metrics) on a pan across
a real photo, with the demo's generator shape (width 0.125, serving size 128; untrained:
speed does not depend on the weights) or --width/--serving-size. Interleaved rounds
(benchmarks.harness.interleaved) of every runtime x temporal mode, printed as stable / none
(the budget: stable costs at most 1.5x, i.e. a ratio >= 0.67) and, with --runtimes tensorflow
onnx, onnx / tensorflow. CPU by default; on a JAX host with a GPU, KERAS_BACKEND=jax runs the
network there (the rest stays on the CPU).

    .venv/bin/python -m benchmarks.video [--frames 48] [--repeats 2] [--width 1.0 --serving-size 256]
        [--runtimes tensorflow onnx] [--json out.json]
"""

import argparse
import os
import tempfile

import numpy as np

from benchmarks.harness import interleaved, print_interleaved, ratio, write_json

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
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds")
    parser.add_argument("--width", type=float, default=0.125)
    parser.add_argument("--serving-size", type=int, default=128)
    parser.add_argument("--runtimes", nargs="+", default=["tensorflow"], choices=("tensorflow", "onnx"),
                        help="what runs the network (colorize-video --runtime)")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
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
    colorizers = {runtime: load_frame_colorizer(os.path.join(work, "generator"), runtime) for runtime in args.runtimes}
    results, ratios = {}, {}
    for name in args.sizes:
        clip = os.path.join(work, f"{name}.mp4")
        pan_clip(clip, SIZES[name], args.frames)
        runs = {}
        for runtime, colorizer in colorizers.items():
            for mode in ("none", "stable"):
                out = os.path.join(work, f"{name}-{runtime}-{mode}.mp4")

                def run(out=out, colorizer=colorizer, mode=mode):
                    if os.path.exists(out):
                        os.remove(out)
                    colorize_video(clip, out, colorizer, VideoSettings(temporal=mode), progress=False)

                runs[f"{runtime} {mode}"] = run
        rates = interleaved(runs, args.frames, args.repeats)
        results[name] = {key: float(np.median(r)) for key, r in rates.items()}
        rows = [(f"{name} {runtime} stable vs none", ratio(rates[f"{runtime} stable"], rates[f"{runtime} none"]))
                for runtime in colorizers]
        if "onnx" in colorizers and "tensorflow" in colorizers:
            rows += [(f"{name} {mode} onnx vs tensorflow", ratio(rates[f"onnx {mode}"], rates[f"tensorflow {mode}"]))
                     for mode in ("none", "stable")]
        ratios[name] = dict(rows)
        print_interleaved(rows, "other", unit="frames/s")
    write_json(args.json, {"frames": args.frames, "width": args.width, "serving_size": args.serving_size,
                           "frames_per_second": results, "ratios": ratios})


if __name__ == "__main__":
    main()
