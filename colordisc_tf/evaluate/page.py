"""The HTML page of `colordisc evaluate`: the metrics with their 95 % intervals, the protocol,
the published numbers beside this model's row, and the first images (gray | colorized | truth)."""

from __future__ import annotations

import html
import os

from colordisc_tf.evaluate.measures import report_rows
from colordisc_tf.evaluate.published import PUBLISHED
from colordisc_tf.evaluate.report import metric_cell
from colordisc_tf.evaluate.run_store import write_whole

__all__ = ["ROWS", "write_page"]

#: (metrics.json key, label, format); a registered metric with a label (evaluate.measures) joins at the end
ROWS = (
    ("fid", "FID (Inception pool 2048-d, colorized vs truth) ↓", "{:.2f}"),
    ("colorfulness", "CF: mean colourfulness of the colorized images", "{:.2f}"),
    ("colorfulness_truth", "mean colourfulness of the truth", "{:.2f}"),
    ("delta_cf", "ΔCF = |mean CF − mean CF(truth)| ↓", "{:.2f}"),
    ("colorfulness_difference", "mean CF − mean CF(truth) (signed)", "{:+.2f}"),
    ("per_image_delta_cf", "per-image |CF − CF(truth)|, mean ↓", "{:.2f}"),
    ("psnr", "PSNR (dB, 0..255 sRGB) ↑", "{:.2f}"),
    ("auc_raw", "AuC raw (%) ↑", "{:.2f}"),
    ("auc_rebalanced", "AuC rebalanced (%) ↑", "{:.2f}"),
    ("mean_realness", "mean realness of the colorized images ↑", "{:.3f}"),
    ("mean_realness_truth", "mean realness of the truth", "{:.3f}"),
    ("detection_auc", "discriminator's ROC AUC, truth vs colorized (0.5: can't tell) ↓", "{:.3f}"),
)
ROWS += tuple(report_rows(key for key, _, _ in ROWS))  # the registered metrics these do not name


def _published_table(metrics: dict) -> str:
    def number(value, fmt="{:.2f}"):
        return "—" if value is None else fmt.format(value)

    rows = ["<table><tr><th>method</th><th>set</th><th>FID</th><th>CF</th><th>ΔCF</th><th>PSNR</th>"
            "<th>source; how FID was computed</th></tr>"]
    for entry in PUBLISHED:
        rows.append(f"<tr><td>{html.escape(entry.method)}</td><td>{entry.split}</td><td>{number(entry.fid)}</td>"
                    f"<td>{number(entry.cf)}</td><td>{number(entry.delta_cf)}</td><td>{number(entry.psnr)}</td>"
                    f"<td>{html.escape(entry.source)}; {html.escape(entry.fid_method)}</td></tr>")
    rows.append(f"<tr><td><b>this model</b></td><td>{metrics['images']} images</td>"
                f"<td>{number(metrics.get('fid'))}</td><td>{number(metrics.get('colorfulness'))}</td>"
                f"<td>{number(metrics.get('delta_cf'))}</td><td>{number(metrics.get('psnr'))}</td>"
                "<td>colordisc evaluate (protocol above)</td></tr></table>")
    return "\n".join(rows)


def write_page(metrics: dict, folder: str, examples: list[int]) -> str:
    """folder/index.html (examples: indices of examples/<i>.png written by the run)."""
    body = [
        "<!doctype html><html><head><meta charset='utf-8'><title>colordisc evaluate</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,td:last-child{text-align:left}"
        "img{max-width:100%}</style></head><body>",
        f"<h1>colordisc evaluate: {metrics['images']} images</h1>",
        f"<p>model {html.escape(str(metrics.get('model', '')))}; list {html.escape(str(metrics.get('list', '')))}; "
        f"{metrics.get('skipped', 0)} skipped (unreadable: see metrics.json). Values with their 95 % intervals.</p>",
    ]
    if metrics.get("fid_note"):
        body.append(f"<p id='fid-note'>{html.escape(metrics['fid_note'])}.</p>")
    body.append("<table>")
    for key, label, fmt in ROWS:
        if metrics.get(key) is not None:
            cell = metric_cell(metrics, key, fmt, separator=" ")
            body.append(f"<tr><td>{html.escape(label)}</td><td>{cell}</td></tr>")
    body.append("</table><h2>Protocol</h2><ul>")
    body += [f"<li><b>{html.escape(k)}</b>: {html.escape(str(v))}</li>" for k, v in metrics.get("protocol", {}).items()]
    body.append(f"<li><b>rebalanced AuC prior</b>: {html.escape(str(metrics.get('auc_rebalanced_prior', '')))}</li></ul>")
    body.append("<h2>Beside the published numbers</h2><p>Published numbers come from other scripts (see each "
                "source): compare with care; a row of ours is comparable only on the same list (val5k).</p>")
    body.append(_published_table(metrics))
    present = [i for i in examples if os.path.exists(os.path.join(folder, "examples", f"{i}.png"))]
    if present:
        body.append("<h2>The first images: gray | colorized | truth</h2>")
        body += [f"<img src='examples/{i}.png' alt='example {i}'>" for i in present]
    body.append("</body></html>")
    index = os.path.join(folder, "index.html")
    write_whole(index, "\n".join(body))
    return index
