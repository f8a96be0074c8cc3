"""Flicker of temporal none vs stable on videos the tests never saw, with a contact sheet.

Each video is colorized twice through `colordisc colorize-video`'s library path; the table
gives CDC, warp error, mean colourfulness and frames/s of both modes and the ratios stable /
none (the issue's bar: CDC ratio <= 0.7, colourfulness ratio >= 0.85). Photos given with
--pan become videos first: a window panned and zoomed across each (real content, known motion).

    .venv/bin/python -m benchmarks.video_flicker --model saved_models/colordisc_generator \
        --videos bikes.mp4 --pan /usr/share/backgrounds/*.jpg --sheet contact.png [--json out.json]
"""

import argparse
import os
import tempfile

import numpy as np

from benchmarks.harness import write_json


def pan_video(photo_path: str, path: str, frames: int = 60, size=(360, 640)) -> None:
    """A 25 frame/s window panning right and down and zooming out slowly across the photo."""
    from fractions import Fraction

    import av
    import cv2
    from PIL import Image

    photo = np.asarray(Image.open(photo_path).convert("RGB"))
    h, w = size
    big = cv2.resize(photo, (int(w * 1.6), int(h * 1.6)), interpolation=cv2.INTER_AREA)
    with av.open(path, "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.height, stream.width, stream.pix_fmt = h, w, "yuv420p"
        for t in range(frames):
            scale = 1.0 + 0.004 * t
            x, y = 2.0 * t, 1.0 * t
            matrix = np.float32([[scale, 0, x], [0, scale, y]])
            window = cv2.warpAffine(big, matrix, (w, h), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP)
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(window), format="rgb24")
            frame.pts, frame.time_base = t, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def truth_cdc(path: str, max_frames: int) -> float:
    """CDC of the source itself: the floor no decoding reaches (content moving changes histograms too)."""
    import av

    from colordisc_tf.video.flicker import cdc

    with av.open(path) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == max_frames:
                break
    return cdc(frames)


def _frames(path: str, picks) -> list[np.ndarray]:
    import av

    with av.open(path) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return [frames[i] for i in picks if i < len(frames)]


def contact_sheet(rows, path: str) -> None:
    """rows: (title, none frames, stable frames); one figure, two image rows per video."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = max(len(r[1]) for r in rows)
    fig, axes = plt.subplots(2 * len(rows), columns, figsize=(2.2 * columns, 1.5 * 2 * len(rows)), squeeze=False)
    for r, (title, none, stable) in enumerate(rows):
        for k, (mode, frames) in enumerate((("none", none), ("stable", stable))):
            for c in range(columns):
                ax = axes[2 * r + k, c]
                ax.axis("off")
                if c < len(frames):
                    ax.imshow(frames[c])
            axes[2 * r + k, 0].set_title(f"{title} — {mode}", fontsize=7, loc="left")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="generator model directory or serving SavedModel")
    parser.add_argument("--videos", nargs="*", default=[])
    parser.add_argument("--pan", nargs="*", default=[], help="photos to pan across")
    parser.add_argument("--max-frames", type=int, default=120)
    parser.add_argument("--sheet", default=None, help="contact sheet PNG")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    from colordisc_tf.video.colorize_video import VideoSettings, colorize_video
    from colordisc_tf.video.frame_colorizer import load_frame_colorizer

    model = args.model
    colorizer = load_frame_colorizer(model)  # saved_models/<name> takes its newest version
    work = tempfile.mkdtemp(prefix="colordisc-flicker-")
    videos = list(args.videos)
    for photo in args.pan:
        path = os.path.join(work, "pan-" + os.path.splitext(os.path.basename(photo))[0] + ".mp4")
        pan_video(photo, path)
        videos.append(path)
    results, sheet = {}, []
    print(f"{'video':34s} {'frames':>6s}  {'CDC truth':>9s} {'none':>9s} {'stable':>9s} {'ratio':>6s}  "
          f"{'warp none':>9s} {'stable':>9s}  {'CF none':>7s} {'stable':>7s} {'ratio':>6s}  {'fps none':>8s} {'stable':>7s}")
    for video in videos:
        name = os.path.basename(video)
        runs = {}
        for mode in ("none", "stable"):
            out = os.path.join(work, f"{os.path.splitext(name)[0]}-{mode}.mp4")
            runs[mode] = colorize_video(video, out, colorizer, VideoSettings(temporal=mode, max_frames=args.max_frames),
                                        progress=False)
        n, s = runs["none"], runs["stable"]
        results[name] = {mode: {k: r[k] for k in ("frames", "cdc", "warp_error", "colorfulness_mean",
                                                   "frames_per_second", "resets")} for mode, r in runs.items()}
        results[name]["cdc_ratio"] = s["cdc"] / n["cdc"]
        results[name]["cdc_truth"] = truth = truth_cdc(video, args.max_frames)
        results[name]["colorfulness_ratio"] = s["colorfulness_mean"] / n["colorfulness_mean"]
        print(f"{name[:34]:34s} {n['frames']:6d}  {truth:9.5f} {n['cdc']:9.5f} {s['cdc']:9.5f} {s['cdc'] / n['cdc']:6.2f}  "
              f"{n['warp_error']:9.6f} {s['warp_error']:9.6f}  {n['colorfulness_mean']:7.2f} "
              f"{s['colorfulness_mean']:7.2f} {s['colorfulness_mean'] / n['colorfulness_mean']:6.2f}  "
              f"{n['frames_per_second']:8.1f} {s['frames_per_second']:7.1f}")
        picks = [0, 1, 2, 3, n["frames"] // 2]
        sheet.append((name, _frames(n["output"], picks), _frames(s["output"], picks)))
    if args.sheet:
        contact_sheet(sheet, args.sheet)
        print(f"contact sheet: {args.sheet}")
    write_json(args.json, {"model": model, "videos": results})


if __name__ == "__main__":
    main()
