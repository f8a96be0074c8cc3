"""`colordisc serve`: the local web page (colordisc_tf.web)."""

from __future__ import annotations

import sys

from pipelines.commands.common import MODEL_FORMS, UserError

__all__ = ["register", "serve"]


def register(sub) -> None:
    from colordisc_tf.web.settings import PageSettings
    from colordisc_tf.web.server import DEFAULT_HOST, DEFAULT_PORT

    d = PageSettings()
    srv = sub.add_parser("serve", help="a local web page: drop photos or a clip, see the colorization, where it is "
                         "probably wrong (realness map) and its score")
    srv.add_argument("--model", default=None, help=f"the colorizer: {MODEL_FORMS} (default: "
                     "saved_models/colordisc_colorizer_with_realness, what `make demo` pushes)")
    srv.add_argument("--discriminator", default=None, help="scores each colorization (default: --model's own when it "
                     "is a colorizer with realness): the same forms")
    srv.add_argument("--base", default=None, help="the toggle's base generator (default: saved_models/colordisc_generator "
                     "when colordisc_generator_finetuned is pushed too)")
    srv.add_argument("--finetuned", default=None, help="the toggle's fine-tuned generator (with --base)")
    srv.add_argument("--serving-root", default="saved_models", help="where the defaults are looked for")
    srv.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}: this machine "
                     "only; 0.0.0.0 lets the network in, with no login)")
    srv.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: any free port")
    srv.add_argument("--max-bytes", type=int, default=d.max_bytes, help=f"largest upload (default {d.max_bytes:,})")
    srv.add_argument("--max-pixels", type=int, default=d.max_pixels,
                     help=f"largest photo or video frame, read from the header (default {d.max_pixels:,}, as serving)")
    srv.add_argument("--max-frames", type=int, default=d.max_frames, help=f"a clip's frames colorized (default "
                     f"{d.max_frames})")
    srv.add_argument("--max-waiting", type=int, default=d.max_waiting, help="requests waiting behind the running one; "
                     f"more are answered busy (default {d.max_waiting})")
    srv.set_defaults(func=serve)


def serve(args) -> int:
    from colordisc_tf.web import PageSettings, load_page_models, serve_page

    for flag in ("max_bytes", "max_pixels", "max_frames"):
        if getattr(args, flag) < 1:
            raise UserError(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    if args.max_waiting < 0:
        raise UserError(f"--max-waiting must be >= 0, got {args.max_waiting}")
    models = load_page_models(args.model, args.discriminator, args.base, args.finetuned, args.serving_root)
    settings = PageSettings(max_bytes=args.max_bytes, max_pixels=args.max_pixels, max_waiting=args.max_waiting,
                            max_frames=args.max_frames)

    def ready(url: str) -> None:
        print(f"serve: {models.colorizer_name}; open {url} (Ctrl-C stops)", flush=True)

    try:
        serve_page(models, settings, args.host, args.port, on_ready=ready)
    except OSError as e:  # the port taken, an address this machine does not have
        raise UserError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    print("serve: stopped", file=sys.stderr)
    return 0

