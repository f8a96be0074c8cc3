"""Published ImageNet numbers of automatic colorizers, each with where it was read and how its FID
was computed (None: no source found; shown as —). The README and docs/evaluation.md print the
same table; `colordisc evaluate` puts the evaluated model's row under it."""

from __future__ import annotations

import dataclasses

__all__ = ["Published", "PUBLISHED", "markdown_table"]


@dataclasses.dataclass(frozen=True)
class Published:
    method: str
    split: str  # "val5k" (first 5,000 of ImageNet val, centre crop + resize to 256), "val50k" (resized to 256), "—"
    fid: float | None
    cf: float | None
    delta_cf: float | None
    psnr: float | None
    source: str
    fid_method: str


_NOT_FOUND = "no published table reachable from here (offline sources): fill in from the paper"

PUBLISHED: tuple[Published, ...] = (
    Published("CIC (Zhang et al., ECCV 2016)", "—", None, None, None, None, _NOT_FOUND, "—"),
    Published("DeOldify", "—", None, None, None, None, _NOT_FOUND, "—"),
    Published("ColorFormer (ECCV 2022)", "val50k (#9)", None, None, None, None,
              _NOT_FOUND + " (its metric/colorful.py: CF of abs(R−G) and abs(½(R+G)−B), images with CF ≤ 1 left out)", "—"),
    Published("BigColor (ECCV 2022)", "—", None, None, None, None, _NOT_FOUND, "—"),
    Published("DDColor-T (ICCV 2023)", "—", None, None, None, None, _NOT_FOUND, "—"),
    Published("DDColor-L (ICCV 2023)", "val5k", 3.92, 38.26, None, None,
              "the DDColor paper's values as quoted (undisputed) in piddnad/DDColor#9",
              "not stated there; a reproduction with CT2's eval_fid.py gave FID 3.78 and CF 34.33 (#9)"),
    Published("MultiColor (ACM MM 2024)", "—", None, None, None, None, _NOT_FOUND + " (arXiv 2408.04172)", "—"),
)


def markdown_table() -> str:
    def number(value):
        return "—" if value is None else f"{value:.2f}"

    lines = ["| method | set | FID ↓ | CF | ΔCF ↓ | PSNR ↑ | source | how FID was computed |",
             "|---|---|---|---|---|---|---|---|"]
    for p in PUBLISHED:
        lines.append(f"| {p.method} | {p.split} | {number(p.fid)} | {number(p.cf)} | {number(p.delta_cf)} | "
                     f"{number(p.psnr)} | {p.source} | {p.fid_method} |")
    return "\n".join(lines)
