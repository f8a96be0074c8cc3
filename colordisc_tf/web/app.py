"""The page's HTTP app (Starlette): one static page and a small JSON API.

    GET  /                       the page (its script and style from /static/, nothing from elsewhere)
    GET  /api/info               the bounds and what the models offer (realness, the toggle)
    POST /api/photo?name=N       the file's bytes -> grey, colorization, heat map (PNG data URLs), realness
    POST /api/decode             {"id", "temperature"} -> the kept photo decoded again (no network run)
    POST /api/compare            {"id", "temperature"} -> the base and fine-tuned colorizations
    POST /api/video?name=N       the clip's bytes -> {"job"}; GET /api/video/<job> its progress,
                                 /api/video/<job>/colorized.mp4 and /plot.png its results

Every refusal is {"error": one sentence} with a 4xx/5xx status, never a traceback. Uploads are
bounded in bytes while they arrive and in pixels from the header; the models take one request
at a time behind a bounded line (gate.Gate), and a request that finds it full is told "busy".
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import importlib.resources
import logging
import math
import os

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from colordisc_tf.color.decoding import Decoding
from colordisc_tf.constants import ANNEAL_T
from colordisc_tf.web import photo
from colordisc_tf.web.gate import Busy, Gate
from colordisc_tf.web.settings import PageSettings
from colordisc_tf.web.store import KeptStore
from colordisc_tf.web.video import VideoJobs, run_video

__all__ = ["create_app"]

log = logging.getLogger("colordisc.serve")

_STATIC = {"page.js": "text/javascript", "page.css": "text/css"}
# Everything from this server; images are data: URLs, the clip a blob: URL.
_CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _refusal(sentence: str, status: int) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status)


def _data_url(rgb) -> str:
    return "data:image/png;base64," + base64.b64encode(photo.png_bytes(rgb)).decode("ascii")


def _file_name(request: Request) -> str:
    name = os.path.basename(request.query_params.get("name", "") or "upload")
    return name[:200]


async def _body(request: Request, name: str, max_bytes: int) -> bytes:
    """The upload, refused (photo.PhotoRefused) as soon as it is over max_bytes."""
    over = f"{name} is over {max_bytes / 1e6:g} MB, the most this page takes."
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise photo.PhotoRefused(over)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise photo.PhotoRefused(over)
        chunks.append(chunk)
    return b"".join(chunks)


def _temperature(value, default: float) -> float:
    try:
        t = float(value if value is not None else default)
    except (TypeError, ValueError):
        t = math.nan
    if not 0.01 <= t <= 5.0:
        raise photo.PhotoRefused(f"temperature must be a number from 0.01 to 5, got {value!r}.")
    return t


def create_app(models, settings: PageSettings = PageSettings()) -> Starlette:
    """models: colordisc_tf.web.models.PageModels."""
    gate, kept, jobs = Gate(settings.max_waiting), KeptStore(settings.keep_bytes), VideoJobs()
    decoding = models.colorizer.decoding

    def result(kept_photo, temperature: float, network_decoding: Decoding) -> dict:
        colorized = photo.decode_at(kept_photo, dataclasses.replace(network_decoding, temperature=temperature))
        out = {"colorized": _data_url(colorized), "temperature": temperature, "realness": None, "overlay": None}
        if models.scorer is not None:
            realness, overlay = photo.score(models.scorer, colorized)
            out.update(realness=realness, overlay=_data_url(overlay))
        return out

    async def guarded(request: Request, work):
        """work() in a worker thread when its turn comes; every refusal as one sentence."""
        try:
            async with gate.turn():
                return await work()
        except Busy as e:
            return _refusal(str(e), 503)
        except photo.PhotoRefused as e:
            return _refusal(str(e), 413 if "MB, the most" in str(e) else 400)
        except Exception as e:  # noqa: BLE001 (the page gets one sentence; the log gets the traceback)
            log.exception("serve: %s failed", request.url.path)
            return _refusal(f"Something went wrong on the server ({type(e).__name__}); its log has the details.", 500)

    async def index(request: Request):
        html = importlib.resources.files(__package__).joinpath("static/index.html").read_text()
        return Response(html, media_type="text/html", headers={"Content-Security-Policy": _CSP})

    async def static(request: Request):
        name = request.path_params["name"]
        if name not in _STATIC:
            return _refusal(f"no such file: {name}", 404)
        body = importlib.resources.files(__package__).joinpath("static", name).read_bytes()
        return Response(body, media_type=_STATIC[name])

    async def info(request: Request):
        return JSONResponse({
            "model": models.colorizer_name, "realness": models.scorer is not None,
            "discriminator": models.scorer.source if models.scorer is not None else None,
            "temperature": decoding.temperature, "paper_temperature": ANNEAL_T, "anneals": decoding.anneals,
            "compare": sorted(models.compare), "max_bytes": settings.max_bytes, "max_pixels": settings.max_pixels,
            "max_frames": settings.max_frames})

    async def upload_photo(request: Request):
        name = _file_name(request)

        async def work():
            data = await _body(request, name, settings.max_bytes)

            def run():
                rgb = photo.read_photo(name, data, settings.max_pixels)
                kept_photo = photo.run_network(models.colorizer, rgb)
                out = result(kept_photo, decoding.temperature, decoding)
                out.update(id=kept.put(kept_photo), name=name, width=rgb.shape[1], height=rgb.shape[0],
                           grey=_data_url(photo.grey(rgb)))
                return out

            return JSONResponse(await anyio.to_thread.run_sync(run))

        return await guarded(request, work)

    async def _kept_from(request: Request):
        try:
            asked = await request.json()
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            raise photo.PhotoRefused("the request must be a JSON object with an id and a temperature.")
        kept_photo = kept.get(str(asked.get("id", "")))
        if kept_photo is None:
            raise photo.PhotoRefused("That photo is no longer kept (the page keeps the most recent ones); drop it again.")
        return kept_photo, _temperature(asked.get("temperature"), decoding.temperature)

    async def decode(request: Request):
        async def work():
            kept_photo, temperature = await _kept_from(request)
            return JSONResponse(await anyio.to_thread.run_sync(lambda: result(kept_photo, temperature, decoding)))

        return await guarded(request, work)

    async def compare(request: Request):
        async def work():
            if not models.compare:
                raise photo.PhotoRefused("No base and fine-tuned generators were given (--base, --finetuned), and "
                                         "saved_models holds not both.")
            kept_photo, temperature = await _kept_from(request)

            def run():
                return {role: result(photo.run_network(network, kept_photo.rgb), temperature, network.decoding)
                        for role, network in sorted(models.compare.items())}

            return JSONResponse(await anyio.to_thread.run_sync(run))

        return await guarded(request, work)

    async def upload_video(request: Request):
        from colordisc_tf.video.video_io import VIDEO_EXTENSIONS

        name = _file_name(request)
        if not name.lower().endswith(VIDEO_EXTENSIONS):
            return _refusal(f"{name} is not named like a video ({', '.join(VIDEO_EXTENSIONS)}).", 400)
        try:
            data = await _body(request, name, settings.max_bytes)
        except photo.PhotoRefused as e:
            return _refusal(str(e), 413)
        if gate.full:
            return _refusal(f"The page is busy with {settings.max_waiting} requests; try again in a moment.", 503)
        key, job = jobs.new(name)

        async def background():
            try:
                async with gate.turn():
                    await anyio.to_thread.run_sync(lambda: run_video(
                        job, name, data, models.colorizer, models.scorer, settings.max_frames, settings.max_pixels))
            except Busy as e:
                job.error, job.state = str(e), "failed"
            except Exception as e:  # noqa: BLE001
                log.exception("serve: video %s failed", name)
                job.error, job.state = f"Colorizing {name} failed on the server ({type(e).__name__}).", "failed"

        task = asyncio.get_running_loop().create_task(background())
        request.app.state.tasks.add(task)
        task.add_done_callback(request.app.state.tasks.discard)
        return JSONResponse({"job": key})

    async def video_status(request: Request):
        job = jobs.get(request.path_params["job"])
        if job is None:
            return _refusal("No such video job (the page keeps the last few).", 404)
        return JSONResponse(job.public())

    async def video_file(request: Request):
        job = jobs.get(request.path_params["job"])
        which = request.path_params["file"]
        body = None if job is None else {"colorized.mp4": job.mp4, "plot.png": job.plot}.get(which)
        if body is None:
            return _refusal("That video result is not here (not finished, or no longer kept).", 404)
        return Response(body, media_type="video/mp4" if which.endswith(".mp4") else "image/png")

    app = Starlette(routes=[
        Route("/", index), Route("/static/{name}", static), Route("/api/info", info),
        Route("/api/photo", upload_photo, methods=["POST"]), Route("/api/decode", decode, methods=["POST"]),
        Route("/api/compare", compare, methods=["POST"]), Route("/api/video", upload_video, methods=["POST"]),
        Route("/api/video/{job}", video_status), Route("/api/video/{job}/{file}", video_file),
    ])
    app.state.tasks = set()  # running video jobs: held so that they are not garbage-collected
    return app
