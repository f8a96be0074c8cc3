"""colordisc serve under load: N concurrent uploads of 512-px photos to a running server.

Every upload must be answered (none refused busy: the line holds N), the server's memory
(RSS, sampled every 50 ms) stays bounded, and the latency of each answer is reported as
p50 / p95 (with N at once, most of it is waiting in the line) beside the time one photo
takes alone (the goal: under 1 s at 512 px on 2 cores with the demo models). Two model
sets: the demo's (the shipped starter generator, width 0.125, serving size 256, with a
demo-config discriminator) and width 1.0 (random weights: timing only). The machine's load
average is recorded with the numbers: other work on the cores slows them.

    python -m benchmarks.web_load [--uploads 20] [--out benchmarks/results/web-load.json]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import numpy as np

from benchmarks.harness import machine, write_json


def _photos(count: int, side: int) -> list[bytes]:
    """count distinct side x side JPEGs cut from scikit-image's photos."""
    from PIL import Image
    from skimage import data

    sources = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket(), data.stereo_motorcycle()[0]]
    out = []
    for i in range(count):
        img = Image.fromarray(sources[i % len(sources)]).resize((side + 16 * i, side + 16 * i), Image.BILINEAR)
        buf = io.BytesIO()
        img.crop((8 * i, 8 * i, 8 * i + side, 8 * i + side)).save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _models(folder: str, width: float) -> tuple[str, str]:
    """(generator model dir, discriminator model dir): the starter (width 0.125) or a random
    generator of `width`, and a demo-config discriminator (random weights: its cost is what counts)."""
    import keras

    import colordisc_tf
    from colordisc_tf.config import DiscriminatorConfig, GeneratorConfig
    from colordisc_tf.models import build_discriminator, build_generator
    from colordisc_tf.serve.saving import save_discriminator, save_generator

    keras.utils.set_random_seed(0)
    discriminator_dir = os.path.join(folder, "discriminator")
    if not os.path.isdir(discriminator_dir):
        config = DiscriminatorConfig()
        save_discriminator(build_discriminator(config.width, depth=config.depth), config, discriminator_dir)
    if width == 0.125:
        return os.path.join(os.path.dirname(colordisc_tf.__file__), "models", "starter"), discriminator_dir
    generator_dir = os.path.join(folder, f"generator_{width}")
    save_generator(build_generator(width), GeneratorConfig(width=width, serving_size=256), generator_dir)
    return generator_dir, discriminator_dir


def _rss_sampler(pid: int, stop: threading.Event, peak: list) -> None:
    import psutil

    process = psutil.Process(pid)
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.NoSuchProcess:
            return
        time.sleep(0.05)


def _post(url: str, body: bytes) -> tuple[int, float]:
    start = time.perf_counter()
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, time.perf_counter() - start


def run_case(name: str, generator: str, discriminator: str, photos: list[bytes], alone: int = 3) -> dict:
    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))", "serve",
               "--model", generator, "--discriminator", discriminator, "--port", str(port),
               "--max-waiting", str(len(photos))]
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        while "open http" not in open(log.name).read():
            if server.poll() is not None:
                raise SystemExit(f"{name}: the server exited: {open(log.name).read()[-1500:]}")
            time.sleep(0.5)
        url = f"http://127.0.0.1:{port}/api/photo?name=photo.jpg"
        _post(url, photos[0])  # warm-up: tracing, first allocations
        idle_rss = psutil.Process(server.pid).memory_info().rss
        single = sorted(_post(url, photos[i % len(photos)])[1] for i in range(alone))
        peak, stop = [idle_rss], threading.Event()
        sampler = threading.Thread(target=_rss_sampler, args=(server.pid, stop, peak), daemon=True)
        sampler.start()
        load_before = os.getloadavg()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(len(photos)) as pool:
            answers = list(pool.map(lambda body: _post(url, body), photos))
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
        latencies = np.array([seconds for _, seconds in answers])
        return {"case": name, "uploads": len(photos), "answered_ok": sum(status == 200 for status, _ in answers),
                "statuses": sorted({status for status, _ in answers}), "single_photo_s": round(single[len(single) // 2], 3),
                "p50_s": round(float(np.percentile(latencies, 50)), 3), "p95_s": round(float(np.percentile(latencies, 95)), 3),
                "wall_s": round(wall, 3), "photos_per_s": round(len(photos) / wall, 3),
                "rss_idle_mb": round(idle_rss / 2**20, 1), "rss_peak_mb": round(peak[0] / 2**20, 1),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    finally:
        server.terminate()
        server.wait(30)
        os.unlink(log.name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--widths", type=float, nargs="+", default=[0.125, 1.0],
                        help="0.125: the demo's (the shipped starter); others: random weights")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    args = parser.parse_args(argv)
    photos = _photos(args.uploads, args.side)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for width in args.widths:
            generator, discriminator = _models(folder, width)
            name = "demo (starter 0.125)" if width == 0.125 else f"width {width:g} (random)"
            rows.append(run_case(name, generator, discriminator, photos))
            r = rows[-1]
            print(f"{name:22s} {r['answered_ok']}/{r['uploads']} answered; one photo alone {r['single_photo_s']:.2f} s; "
                  f"{r['uploads']} at once: p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, {r['photos_per_s']:.2f} "
                  f"photos/s; RSS {r['rss_idle_mb']:.0f} -> peak {r['rss_peak_mb']:.0f} MB; load "
                  f"{r['load_average_before'][0]:.1f} -> {r['load_average_after'][0]:.1f} on {os.cpu_count()} cores",
                  flush=True)
    write_json(args.out, {"side": args.side, "rows": rows})
    return 0 if all(r["answered_ok"] == r["uploads"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
