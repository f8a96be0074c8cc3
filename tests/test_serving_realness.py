"""One SavedModel with the colorizer and its discriminator: colorize_with_realness, in a fresh process."""

import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from colordisc_tf.config import Decoding
from colordisc_tf.models import build_discriminator, build_generator


def _png(height, width, seed=0):
    rng = np.random.default_rng(seed)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.slow  # 42 s; test_pipeline serves the pushed colorizer with realness in the default run
def test_colorize_with_realness_serves_in_a_fresh_process(tmp_path):
    from colordisc_tf.serve.export import export_colorizer_with_realness, export_discriminator

    generator, discriminator = build_generator(0.0625), build_discriminator(8, depth=2)
    # Patch logits far from zero, so realness varies from image to image and place to place.
    discriminator.set_weights([w * 4 if w.ndim == 4 else w for w in discriminator.get_weights()])
    both = export_colorizer_with_realness(generator, discriminator, str(tmp_path / "both"), Decoding(), model_size=32, discriminator_size=32,
                                          max_pixels=10_000)
    alone = export_discriminator(discriminator, str(tmp_path / "discriminator"), model_size=32)
    for name, (h, w, seed) in {"a": (45, 70, 1), "b": (64, 40, 2)}.items():
        (tmp_path / f"{name}.png").write_bytes(_png(h, w, seed))
    (tmp_path / "big.png").write_bytes(_png(120, 120))
    script = textwrap.dedent(f"""
        import io, json, numpy as np, tensorflow as tf
        from PIL import Image
        both = tf.saved_model.load({both!r}).signatures
        discriminator = tf.saved_model.load({alone!r}).signatures["serving_default"]
        data = [open({str(tmp_path)!r} + f"/{{n}}.png", "rb").read() for n in ("a", "b")]
        out = both["colorize_with_realness"](images=tf.constant(data))
        plain = both["serving_default"](images=tf.constant(data))["colorized"].numpy()
        rows = []
        for i in range(2):
            colorized, heat = out["colorized_bytes"].numpy()[i], out["realness_map_bytes"].numpy()[i]
            rows.append({{"shape": np.asarray(Image.open(io.BytesIO(colorized))).shape,
                          "heat_shape": np.asarray(Image.open(io.BytesIO(heat))).shape,
                          "heat_colours": len(np.unique(np.asarray(Image.open(io.BytesIO(heat))).reshape(-1, 3), axis=0)),
                          "realness": float(out["realness"].numpy()[i]),
                          "discriminator_alone": float(discriminator(images=tf.constant([colorized]))["realness"].numpy()[0]),
                          "same_as_serving_default": bool(colorized == plain[i])}})
        errors = {{}}
        for name, payload in (("garbage", b"not an image"), ("big", open({str(tmp_path / 'big.png')!r}, "rb").read())):
            try:
                both["colorize_with_realness"](images=tf.constant([payload]))
                errors[name] = None
            except tf.errors.InvalidArgumentError as e:
                errors[name] = e.message
        guided = both["colorize_guided"](images=tf.constant(data))
        guided_rows = [{{"shape": np.asarray(Image.open(io.BytesIO(g))).shape, "temperature": float(t), "realness": float(r)}}
                       for g, t, r in zip(guided["colorized_bytes"].numpy(), guided["temperature"].numpy(),
                                          guided["realness"].numpy())]
        print(json.dumps({{"rows": rows, "errors": errors, "guided": guided_rows}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    for row, shape in zip(report["rows"], ([45, 70, 3], [64, 40, 3])):
        assert row["shape"] == shape and row["heat_shape"] == shape  # both at the image's own size
        assert row["same_as_serving_default"]
        assert 0.0 <= row["realness"] <= 1.0
        assert abs(row["realness"] - row["discriminator_alone"]) < 1e-4  # the discriminator's own score of that PNG
        assert row["heat_colours"] > 3  # a map, not a flat colour
    assert report["errors"]["garbage"] and "image" in report["errors"]["garbage"].lower()
    assert report["errors"]["big"] and "10000 pixels" in report["errors"]["big"]
    for row, shape in zip(report["guided"], ([45, 70, 3], [64, 40, 3])):
        assert row["shape"] == shape
        assert min(abs(row["temperature"] - t) for t in (0.2, 0.3, 0.38, 0.5, 0.6)) < 1e-4
        assert 0.0 <= row["realness"] <= 1.0


def test_png_outputs_are_named_for_tf_serving_rest(tiny_models):
    """TF Serving's REST API sends a string output as {"b64": ...} only when its name ends in
    "_bytes" (json_tensor.cc, IsNamedTensorBytes); otherwise the PNG bytes go out raw. Every
    signature but serving_default (whose "colorized" the design card fixes) follows it, and
    serving_rest is serving_default for REST. settings' "head" is text ("classification" / "l2"),
    which REST sends as a JSON string as it should."""
    import tensorflow as tf

    exported = [str(tiny_models["generator"] / "serving"), str(tiny_models["colorizer_with_realness"])]
    checked = 0
    for export_dir in exported:
        signatures = tf.saved_model.load(export_dir).signatures
        assert list(signatures["serving_default"].structured_outputs) == ["colorized"]
        for name, signature in signatures.items():
            for output, spec in signature.structured_outputs.items():
                if spec.dtype == tf.string and name not in ("serving_default", "settings"):
                    assert output.endswith("_bytes"), (export_dir, name, output)
                    checked += 1
    assert checked == 5  # serving_rest (x2), colorize_with_realness (x2), colorize_guided
