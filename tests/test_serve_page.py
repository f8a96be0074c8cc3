"""colordisc serve's page in a real browser (Debian's chromium driven by Playwright; no
browser download): a photo dropped on the page comes back as `colordisc colorize` colorizes
it and `colordisc realness` scores it; the slider decodes again as serving would at that
temperature; bad inputs get their sentence; every request stays on the local server; only
loopback listens; no upload is left on disk."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from PIL import Image

CHROMIUM = "/usr/bin/chromium"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.environ.get("COLORDISC_TEST_ARTIFACTS", os.path.join(REPO, "reports", "test-artifacts"))
MAX_PIXELS = 20_000  # the server's bound: a 128 x 96 photo passes, 160 x 160 does not
MAX_BYTES = 400_000
MAX_FRAMES = 6  # a clip's preview

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM) and not os.environ.get("CI"),
    reason=f"no {CHROMIUM} here (apt-get install chromium; .ci/run installs it, and CI fails without it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(pid: int) -> list[str]:
    """The local addresses pid's sockets listen on (from /proc: its fds' inodes in tcp / tcp6)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    address = bytes.fromhex(fields[1].split(":")[0])
                    # /proc writes each 32-bit word in host (little-endian) order
                    words = b"".join(address[i:i + 4][::-1] for i in range(0, len(address), 4))
                    found.append(socket.inet_ntop(socket.AF_INET if table == "tcp" else socket.AF_INET6, words))
    return found


@pytest.fixture(scope="module")
def generator_dir(tmp_path_factory):
    """A tiny generator whose bins differ (the untrained one's logits are ~1e-7 apart, so that
    every temperature decodes it alike): a model directory with its serving SavedModel."""
    import keras

    from colordisc_tf.config import GeneratorConfig
    from colordisc_tf.models import build_generator
    from colordisc_tf.serve.saving import save_generator

    keras.utils.set_random_seed(1)
    model = build_generator(0.0625)
    head = model.get_layer("conv8_313")
    head.bias.assign(np.random.default_rng(1).normal(0.0, 2.0, head.bias.shape).astype("float32"))
    folder = tmp_path_factory.mktemp("page_generator") / "generator"
    save_generator(model, GeneratorConfig(width=0.0625, serving_size=32), str(folder))
    return folder


@pytest.fixture(scope="module")
def server(tiny_models, generator_dir, tmp_path_factory):
    """`colordisc serve` on a tiny generator and discriminator, its temporary folder its own."""
    tmp = tmp_path_factory.mktemp("serve_tmp")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve_log") / "serve.log"
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-c", "import sys; from pipelines.cli import main; sys.exit(main(sys.argv[1:]))", "serve",
               "--model", str(generator_dir),
               "--discriminator", str(tiny_models["discriminator"]), "--base", str(tiny_models["generator"]), "--finetuned", str(tiny_models["colorizer_with_realness"]),
               "--port", str(port), "--max-pixels", str(MAX_PIXELS), "--max-bytes", str(MAX_BYTES),
               "--max-frames", str(MAX_FRAMES)]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            pytest.fail(f"colordisc serve exited: {log.read_text()[-2000:]}")
        if "open http" in log.read_text():
            break
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail(f"colordisc serve did not start in 300 s: {log.read_text()[-2000:]}")
    yield {"url": url, "process": process, "tmp": tmp, "log": log}
    process.terminate()
    process.wait(30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium_profile")), executable_path=CHROMIUM, headless=True,
            accept_downloads=True, viewport={"width": 1280, "height": 900},
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        yield context
        context.close()


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    from skimage import data

    folder = tmp_path_factory.mktemp("page_photos")
    photo = np.asarray(Image.fromarray(data.astronaut()).resize((128, 96), Image.BILINEAR))
    Image.fromarray(photo).save(folder / "astronaut.jpg", quality=92)
    Image.new("RGB", (160, 160), (40, 90, 160)).save(folder / "big.png")  # 25,600 pixels > MAX_PIXELS, 300 bytes
    (folder / "notes.txt").write_text("not a photo\n")
    return folder


def _png_of(data_url: str) -> np.ndarray:
    assert data_url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB")).astype(int)


def _left_in(folder) -> list[str]:
    """What the server left in its TMPDIR, less TensorFlow's own autograph sources (tf.function's)."""
    return [name for name in os.listdir(folder) if not name.startswith("__autograph_generated_file")]


def _cli(*argv) -> None:
    from pipelines.cli import main

    assert main(list(argv)) == 0


def test_photo_through_the_page(server, browser, photos, tiny_models, generator_dir, tmp_path):
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server["url"])
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#files", str(photos / "astronaut.jpg"))
    page.wait_for_selector(".card img.overlay", timeout=120_000)

    colorized = _png_of(page.get_attribute(".card img.colorized", "src"))
    shown_score = float(page.text_content(".card .score").split("realness")[0])
    with page.expect_download() as download:
        page.click("text=Download the colorization")
    downloaded = tmp_path / "downloaded" / download.value.suggested_filename
    download.value.save_as(downloaded)

    # the oracles: the command line on the same file, and on what the page gave back
    _cli("colorize", "--model", str(generator_dir), str(photos / "astronaut.jpg"),
         "--output", str(tmp_path / "cli"))
    expected = np.asarray(Image.open(tmp_path / "cli" / "astronaut.png").convert("RGB")).astype(int)
    assert colorized.shape == expected.shape == (96, 128, 3)
    assert np.abs(colorized - expected).max() <= 1
    assert (np.asarray(Image.open(downloaded).convert("RGB")) == colorized).all()
    _cli("realness", "--discriminator", str(tiny_models["discriminator"]), str(downloaded),
         "--output", str(tmp_path / "realness.jsonl"))
    realness = json.loads((tmp_path / "realness.jsonl").read_text().splitlines()[0])["realness"]
    assert abs(shown_score - realness) <= 0.0005 + 1e-9, (shown_score, realness)

    # the slider: decoded again at T = 1.0 as serving's path decodes at that temperature
    page.eval_on_selector("#temperature", "s => { s.value = '1'; s.dispatchEvent(new Event('input')); }")
    page.wait_for_selector(".card h2:has-text('T = 1.00')", timeout=60_000)
    hot = _png_of(page.get_attribute(".card img.colorized", "src"))
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.serve.inference import colorize_rgb
    from colordisc_tf.serve.saving import load_generator

    model, config = load_generator(str(generator_dir))
    rgb = np.asarray(Image.open(photos / "astronaut.jpg").convert("RGB"))
    oracle = colorize_rgb(model, rgb, config.serving_size, Decoding(1.0, config.decoding.head)).numpy().astype(int)
    assert np.abs(hot - oracle).max() <= 1
    assert np.abs(hot - colorized).max() > 1  # the temperature did something

    page.check("#compare")
    page.wait_for_selector(".card img.compare-base")
    page.wait_for_selector(".card img.compare-fine-tuned")

    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "serve_page.png"), full_page=True)
    assert requests and all(url.startswith(server["url"]) or url.startswith(("data:", "blob:")) for url in requests), \
        [url for url in requests if not url.startswith(server["url"])]
    assert _listening(server["process"].pid) == ["127.0.0.1"]
    assert _left_in(server["tmp"]) == []  # the photo never touched the disk
    page.close()


def test_bad_inputs_get_their_sentence(server, browser, photos):
    page = browser.new_page()
    page.goto(server["url"])
    page.wait_for_selector("body[data-ready='1']")
    for name, sentence in (("notes.txt", "notes.txt is not an image this page can read"),
                           ("big.png", f"big.png is 160 x 160 pixels; this page takes images up to {MAX_PIXELS:,} pixels.")):
        page.set_input_files("#files", str(photos / name))
        error = page.wait_for_selector(".error", timeout=60_000)
        assert error.text_content().startswith(sentence), error.text_content()
        assert "Traceback" not in page.content()
    page.close()
    # over the byte bound: refused while it arrives, with its own sentence
    request = urllib.request.Request(server["url"] + "api/photo?name=huge.jpg", data=b"\xff" * (MAX_BYTES + 1),
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 413
    assert json.load(refused.value) == {"error": f"huge.jpg is over {MAX_BYTES / 1e6:g} MB, the most this page takes."}
    assert _left_in(server["tmp"]) == []


def test_a_clip_comes_back_as_a_playable_mp4_with_its_plot(server, browser, tmp_path):
    from video_clips import pan, photo, probe, write_video

    clip = tmp_path / "pan.mp4"
    write_video(clip, pan(photo("astronaut"), frames=12), audio=False)
    page = browser.new_page()
    page.goto(server["url"])
    page.wait_for_selector("body[data-ready='1']")
    page.set_input_files("#files", str(clip))
    page.wait_for_selector(".card.video progress")
    video = page.wait_for_selector("video.colorized-video", timeout=180_000)
    page.wait_for_function("document.querySelector('video.colorized-video').readyState >= 1", timeout=30_000)
    assert page.wait_for_selector(".card img.plot").evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_download() as download:
        page.click("text=Download the MP4")
    download.value.save_as(tmp_path / "back.mp4")
    assert probe(tmp_path / "back.mp4")["frames"] == MAX_FRAMES  # --max-frames bounds the clip
    assert video.evaluate("v => v.duration") > 0
    assert _left_in(server["tmp"]) == []  # the upload's folder went with the answer
    page.close()
