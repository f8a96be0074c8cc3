"""The reports: the realness report of a scored split (metrics.json, histogram, the worst
cases with their realness maps), and the run's static HTML report: the blessing's verdict and
the checks it made, the before/after table (each set's image count; each generator's value
with its 95 % interval under it, and fine-tuned − base with its paired 95 % interval: see
before_after), realness histogram, colour prior, and gray | base | fine-tuned | truth grids of
the worst cases."""

from __future__ import annotations

import html
import json
import os
import re
import shutil

import numpy as np

from colordisc_tf.evaluate.blessing import signed
from colordisc_tf.evaluate.measures import report_rows
from colordisc_tf.evaluate.scoring import evaluate_scores
from colordisc_tf.serve.overlay import REALNESS_CMAP

__all__ = ["ROWS", "format_difference", "metric_cell", "write_report", "write_html_report"]

#: (key, label, format) of the before/after table's rows, in order (a registered metric with a
#: label, colordisc_tf.evaluate.measures, gets its row before FID).
ROWS = [
    ("images", "images", "{:.0f}"),
    ("fool_rate_fixed", "fool rate, fixed discriminator", "{:.1%}"),
    ("fool_rate_retrained", "fool rate, fresh discriminators (retrained on its own outputs)", "{:.1%}"),
    ("mean_realness_fixed", "mean realness, fixed discriminator", "{:.3f}"),
    ("detection_auc_fixed", "real-vs-colorized ROC AUC, fixed discriminator (0.5: can't tell)", "{:.3f}"),
    ("mean_realness_retrained", "mean realness, fresh discriminators", "{:.3f}"),
    ("detection_auc_retrained", "real-vs-colorized ROC AUC, fresh discriminators (retrained on its own outputs)", "{:.3f}"),
    ("auc_raw", "AuC raw (%)", "{:.2f}"),
    ("auc_rebalanced", "AuC rebalanced (%)", "{:.2f}"),
    ("colorfulness", "colourfulness", "{:.1f}"),
    ("colorfulness_truth", "colourfulness of the truth", "{:.1f}"),
    ("delta_cf", "ΔCF = |mean CF − mean CF of the truth| (the field's)", "{:.1f}"),
    ("per_image_delta_cf", "per-image |CF − CF of the truth|, mean", "{:.1f}"),
    ("psnr", "PSNR (dB)", "{:.2f}"),
]
ROWS += [*report_rows(key for key, _, _ in ROWS), (
    "fid", "FID vs the truth (pytorch-fid's Inception; fewer than 2048 images: compare only like with like)", "{:.2f}")]


def metric_cell(metrics: dict, key: str, fmt: str, separator: str = "<br>") -> str:
    """A table cell's HTML: the value, and its 95 % interval after `separator` when the metric has one."""
    if key not in metrics:
        return "–"
    ci = metrics.get(f"{key}_ci")
    interval = f"{separator}<small>[{fmt.format(ci[0])}, {fmt.format(ci[1])}]</small>" if ci else ""
    return fmt.format(metrics[key]) + interval


def format_difference(key: str, value: float, ci=None) -> str:
    """"−1.44 [−2.90, +0.10]": fine-tuned − base of the row `key` and its interval, with the row's
    decimals (at least 2: differences are smaller than values); fool rates in percentage points
    ("+33.3 pp")."""
    fmt = next((f for k, _, f in ROWS if k == key), "{:.3f}")
    digits = int(re.search(r"\.(\d+)", fmt).group(1)) if "." in fmt else 0
    scale, unit = (100.0, " pp") if fmt.endswith("%}") else (1.0, "")
    digits = digits if unit else max(digits, 2)
    text = signed(value * scale, digits)
    if ci:
        text += f" [{signed(ci[0] * scale, digits)}, {signed(ci[1] * scale, digits)}]"
    return text + unit


def _difference_cell(difference: dict, key: str) -> str:
    if key not in difference:
        return "–"
    text = format_difference(key, difference[key], difference.get(f"{key}_ci"))
    return html.escape(text).replace(" [", "<br><small>[", 1) + ("</small>" if " [" in text else "")


def _table(sets: dict) -> str:
    out = []
    for set_name, models in sets.items():
        count = models["base"].get("images", 0)
        difference = models.get("difference", {})
        out.append(f"<h3>{html.escape(set_name)} ({count:.0f} images)</h3>"
                   "<table><tr><th></th><th>base</th><th>fine-tuned</th>"
                   "<th>fine-tuned − base<br><small>paired: the same images</small></th></tr>")
        for key, label, fmt in ROWS:
            if key not in models["base"] and key not in models["finetuned"] and key not in difference:
                continue
            cells = [metric_cell(models[m], key, fmt) for m in ("base", "finetuned")] + [_difference_cell(difference, key)]
            out.append(f"<tr><td>{html.escape(label)}</td>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append("</table>")
    return "\n".join(out)


def _verdict(report: dict) -> str:
    """The outcome, its deciding intervals, and every check the blessing made."""
    outcome = report.get("outcome") or ("blessed" if report["blessed"] else "NOT blessed")
    text = report.get("verdict") or f"{outcome}: " + "; ".join(report["reasons"])
    rest = text[len(outcome):] if text.startswith(outcome) else f": {text}"
    out = [f"<p id='verdict'><b>{html.escape(outcome)}</b>{html.escape(rest)} (the fine-tuned generator is "
           f"{'pushed' if report['blessed'] else 'not pushed'}).</p>"]
    checks = report.get("checks") or []
    if checks:
        out.append("<table id='checks'><tr><th>requirement (fine-tuned − base, paired 95 % interval)</th><th>result</th></tr>")
        out += [f"<tr><td>{html.escape(c['text'])}</td><td>{html.escape(c['state'])}</td></tr>" for c in checks]
        out.append("</table><p><small>A requirement passes when its whole interval is on the right side of its "
                   "bound, fails when the whole interval is on the wrong side, and is otherwise unclear: any failure "
                   "is NOT blessed, else any unclear one is not enough evidence.</small></p>")
    return "\n".join(out)


def _grid(images: dict, failures_dir: str, path: str, worst: int) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from colordisc_tf import color
    from colordisc_tf.data.records import read_records_by_id

    base, finetuned = images.get("base", {}), images.get("finetuned", {})
    ids = sorted(base, key=lambda i: base[i][0])[:worst]
    if not ids:
        return 0
    truth = {key: rec["lab"] for key, (_, rec) in read_records_by_id(failures_dir, "eval", ids).items()}
    fig, axes = plt.subplots(len(ids), 4, figsize=(8, 2.1 * len(ids)), squeeze=False, constrained_layout=True)
    for row, key in zip(axes, ids):
        gray = truth[key].copy()
        gray[..., 1:] = 0
        panels = [(gray, "gray"), (base[key][1], f"base {base[key][0]:.2f}"),
                  (finetuned[key][1], f"fine-tuned {finetuned[key][0]:.2f}"), (truth[key], "truth")]
        for ax, (lab, title) in zip(row, panels):
            ax.imshow(np.asarray(color.lab_to_rgb(lab)))
            ax.set_title(title, fontsize=8)
            ax.axis("off")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return len(ids)


def write_html_report(report: dict, images: dict, failures_dir: str, output_dir: str, extra_images: dict,
                      worst: int = 8, copy_to: str | None = None) -> str:
    """Writes output_dir/index.html (+ PNGs); copies the folder to copy_to if given."""
    os.makedirs(output_dir, exist_ok=True)
    figures = []
    for name, src in extra_images.items():
        if src and os.path.exists(src):
            slug = "".join(c if c.isalnum() else "_" for c in name)
            shutil.copy(src, os.path.join(output_dir, f"{slug}.png"))
            figures.append((name, slug))
    shown = _grid(images, failures_dir, os.path.join(output_dir, "worst_cases.png"), worst)
    body = [
        "<!doctype html><html><head><meta charset='utf-8'><title>colordisc report</title>",
        "<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}td:first-child{text-align:left}img{max-width:100%}</style>",
        "</head><body><h1>colordisc: before / after fine-tuning</h1>",
        _verdict(report),
        _table(report["sets"]),
    ]
    for name, slug in figures:
        body.append(f"<h2>{html.escape(name)}</h2><img src='{slug}.png' alt='{html.escape(name)}'>")
    if shown:
        body.append(f"<h2>Worst {shown} eval failure cases (by the base model's realness)</h2>"
                    "<img src='worst_cases.png' alt='gray | base | fine-tuned | truth'>")
    body.append("</body></html>")
    index = os.path.join(output_dir, "index.html")
    with open(index, "w") as f:
        f.write("\n".join(body))
    if copy_to:
        shutil.rmtree(copy_to, ignore_errors=True)
        shutil.copytree(output_dir, copy_to)
    return index


def write_report(rows: list[dict], output_dir: str, worst: int = 8, split: str = "eval", real_dir: str | None = None,
                 colorized_dir: str | None = None) -> dict:
    """metrics.json, histogram.png and worst_<i>.png (gray | colorized | realness map | truth)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(output_dir, exist_ok=True)
    result = evaluate_scores(rows, split)
    with open(os.path.join(output_dir, "metrics.json"), "w") as f:
        json.dump(result, f, indent=2)
    split_rows = [r for r in rows if r["split"] == split]
    if not split_rows:
        return result
    fig, ax = plt.subplots(figsize=(6, 3.5), constrained_layout=True)
    bins = np.linspace(0, 1, 26)
    ax.hist([r["real_score"] for r in split_rows], bins, alpha=0.6, label="real photos")
    ax.hist([r["colorized_score"] for r in split_rows], bins, alpha=0.6, label="colorized")
    ax.axvline(0.5, color="k", lw=0.8, ls="--")
    ax.set(xlabel="realness", ylabel="images", title=f"{split}: error {result['error']:.1%}, AUC {result['roc_auc']:.3f}")
    ax.legend()
    fig.savefig(os.path.join(output_dir, "histogram.png"), dpi=110)
    plt.close(fig)
    if real_dir and colorized_dir:
        _worst_overlays(sorted(split_rows, key=lambda r: r["colorized_score"])[:worst], real_dir, colorized_dir, split, output_dir)
    return result


def _worst_overlays(rows, real_dir, colorized_dir, split, output_dir):
    import matplotlib.pyplot as plt

    from colordisc_tf import color
    from colordisc_tf.data.records import read_records_by_id

    ids = {r["id"] for r in rows}
    real, colorized = read_records_by_id(real_dir, split, ids), read_records_by_id(colorized_dir, split, ids)
    for i, row in enumerate(rows):
        lab_real, lab_colorized = real[row["id"]][1]["lab"], colorized[row["id"]][1]["lab"]
        gray = lab_real.copy()
        gray[..., 1:] = 0
        fig, axes = plt.subplots(1, 4, figsize=(10, 2.9), constrained_layout=True)
        panels = [(color.lab_to_rgb(gray), "input (gray)"), (color.lab_to_rgb(lab_colorized), f"colorized {row['colorized_score']:.2f}"),
                  (None, "realness map"), (color.lab_to_rgb(lab_real), f"truth {row['real_score']:.2f}")]
        for ax, (img, title) in zip(axes, panels):
            if img is None:
                ax.imshow(color.lab_to_rgb(lab_colorized))
                h, w = lab_colorized.shape[:2]
                ax.imshow(np.array(row["colorized_map"]), cmap=REALNESS_CMAP, vmin=0, vmax=1, alpha=0.55,
                          extent=(0, w, h, 0), interpolation="nearest")
            else:
                ax.imshow(img)
            ax.set_title(title, fontsize=9)
            ax.axis("off")
        fig.suptitle(os.path.basename(row["source"]), fontsize=9)
        fig.savefig(os.path.join(output_dir, f"worst_{i:02d}.png"), dpi=90)
        plt.close(fig)
