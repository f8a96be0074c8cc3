"""`colordisc serve`: a local web page to try the colorizer -- drop photos (or a short clip)
and see the grey input, the colorization, the discriminator's realness map over it and its
score; a temperature slider decodes the kept network output again; base vs fine-tuned.

    models.py   which models, loaded once (every --model form)
    photo.py    one photo: checks, network, decode at a temperature, realness, PNGs
    store.py    the kept network outputs (bounded, in memory)
    gate.py     one job at a time, a bounded line, "busy" beyond it
    video.py    a clip -> MP4 + flicker plot, with progress
    app.py      the HTTP app (Starlette); static/ the page
    server.py   uvicorn on loopback
"""

from colordisc_tf.serve.page.app import PageSettings, create_app
from colordisc_tf.serve.page.models import PageModels, load_page_models
from colordisc_tf.serve.page.server import DEFAULT_HOST, DEFAULT_PORT, serve_page

__all__ = ["PageSettings", "create_app", "PageModels", "load_page_models", "serve_page", "DEFAULT_HOST",
           "DEFAULT_PORT"]
