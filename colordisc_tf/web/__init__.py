"""`colordisc serve`: a local web page to try the colorizer -- drop photos (or a short clip)
and see the grey input, the colorization, the discriminator's realness map over it and its
score; a temperature slider decodes the kept network output again; base vs fine-tuned.

    settings.py the bounds (bytes, pixels, the line, frames, kept bytes)
    models.py   which models, loaded once (every --model form)
    photo.py    one photo: checks, network, decode at a temperature, realness, PNGs
    store.py    the kept network outputs (bounded, in memory)
    gate.py     one job at a time, a bounded line, "busy" beyond it
    video.py    a clip -> MP4 + flicker plot, with progress
    app.py      the HTTP app (Starlette); static/ the page
    server.py   uvicorn on loopback

The names below load on first use, so that the command line's parser imports no TensorFlow.
"""

import importlib

__all__ = ["PageSettings", "create_app", "PageModels", "load_page_models", "serve_page", "DEFAULT_HOST",
           "DEFAULT_PORT"]

_WHERE = {"PageSettings": "settings", "create_app": "app", "PageModels": "models", "load_page_models": "models",
          "serve_page": "server", "DEFAULT_HOST": "server", "DEFAULT_PORT": "server"}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
