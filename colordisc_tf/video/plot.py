"""The flicker metrics of one video over time, as a PNG (matplotlib, no screen needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

__all__ = ["plot_metrics"]


def plot_metrics(summary: dict, path: str) -> None:
    """Colourfulness, realness (if scored), JS divergence to the previous frame and warp error,
    one panel each, against the frame index; shot cuts / history resets as dotted lines."""
    series = summary["per_frame"]
    panels = [("colourfulness", series["colorfulness"]), ("realness", series.get("realness")),
              ("JS divergence to frame t-1 (CDC's d=1 term)", series["js_d1"]),
              ("warp error (MSE to warped t-1)", series["warp_error"])]
    panels = [(name, values) for name, values in panels if values]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.9 * len(panels)), sharex=True, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], panels):
        ax.plot(range(len(values)), [float("nan") if v is None else v for v in values], lw=1)
        ax.set_title(name, fontsize=8, loc="left")
        for reset in summary.get("resets", []):
            ax.axvline(reset, color="grey", ls=":", lw=1)
    axes[-1, 0].set_xlabel("frame")
    title = (f"{summary['settings']['temporal']}: CDC {summary['cdc']:.4f}" if summary.get("cdc") is not None
             else summary["settings"]["temporal"])
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=90)
    plt.close(fig)
