"""Can decoding alone buy the starter raw AuC? Each generator's network runs once per photo; its
output is then decoded several ways and scored against grey as the model card scores
(colordisc_tf.evaluate.holdout.score, paired intervals), on one of the card's photo sets:

- the annealed mean at higher temperatures (T -> 1: the plain mean, less saturated);
- the annealed mean of the prior-corrected distribution, logits - alpha * log w (w: the training
  prior's rebalancing weights). Rebalanced training learns roughly p(bin | L) * w(bin); alpha = 1
  divides that back out: what the network would say without rebalancing, at no retraining;
- the network run at other serving sizes (the L it sees, area-resized; ab upsampled back);
- a chroma gain (Decoding.chroma_gain): the decoded ab times GAIN (> 1: a dull but rightly hued
  colorizer made as colourful as the truth; does it keep its raw AuC?);
- a confidence power (Decoding.confidence_power): each pixel's gain times (its confidence / the
  photo's mean confidence) ** POWER: colour moved to where the network is sure.

    python -m benchmarks.starter_decoding --photos starter_root/photos --prior starter_root/prior \\
        [--set unseen_pooled] [--json FILE] [--decodings T:ALPHA[:SIZE[:GAIN[:POWER]]] ...] MODEL_DIR [MODEL_DIR ...]

2026-12-04 (the shipped starter and four seeds of its configuration): docs/starter.md.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from colordisc_tf.color import ANNEAL_T

#: (temperature, alpha, serving size (None: the generator's own), chroma gain[, confidence power]): the paper's
#: decoding first
DECODINGS = ((ANNEAL_T, 0.0, None, 1.0), (0.5, 0.0, None, 1.0), (0.62, 0.0, None, 1.0), (0.75, 0.0, None, 1.0),
             (1.0, 0.0, None, 1.0), (ANNEAL_T, 0.25, None, 1.0), (ANNEAL_T, 0.5, None, 1.0),
             (ANNEAL_T, 0.75, None, 1.0), (ANNEAL_T, 1.0, None, 1.0), (ANNEAL_T, 0.0, 128, 1.0),
             (ANNEAL_T, 0.0, 176, 1.0), (ANNEAL_T, 0.0, 352, 1.0))


def decodings_of(model_dir: str, truths: list[np.ndarray], log_weights: np.ndarray, decodings=DECODINGS) -> dict:
    """{"T<t>_a<alpha>[_s<size>][_g<gain>][_c<power>]": colorized cuts} of one generator, its network run once
    per photo and size."""
    from colordisc_tf.color.decoding import Decoding
    from colordisc_tf.evaluate.holdout import raw_once, served_cut
    from colordisc_tf.serve.model_ref import load_generator_network, resolve_model

    network = load_generator_network(resolve_model(model_dir, "generator"))
    if network.decoding.head != "classification":
        raise SystemExit(f"{model_dir}: a {network.decoding.head} head has no bin distribution to decode")
    raw_of = raw_once(network)  # (photo, size) -> the network's output, kept across decodings

    def corrected(key: tuple[int, int], alpha: float):
        return lambda l_small: raw_of(key)(l_small) - alpha * log_weights

    out = {}
    for temperature, alpha, size, gain, *power in decodings:
        power = power[0] if power else 0.0
        decoding, size = Decoding(temperature, network.decoding.head, gain, power), size or network.model_size
        name = (f"T{temperature:g}_a{alpha:g}" + ("" if size == network.model_size else f"_s{size}")
                + ("" if gain == 1.0 else f"_g{gain:g}") + ("" if not power else f"_c{power:g}"))
        out[name] = [served_cut(corrected((i, size), alpha), rgb, size, decoding) for i, rgb in enumerate(truths)]
    return out


def main(argv=None) -> None:
    from colordisc_tf.data.color_prior import load_prior
    from colordisc_tf.evaluate.holdout import GREY, grey_cuts, load_cuts, score
    from colordisc_tf.evaluate.starter_card import photo_sets

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", required=True, help="a starter-photos folder (holdout/, evaluation/)")
    parser.add_argument("--prior", required=True, help="the training prior's directory: rebalanced AuC and w")
    parser.add_argument("--set", default="unseen_pooled",
                        help="one of the card's photo sets, or several joined by commas (pooled)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--decodings", nargs="+", default=None, metavar="T:ALPHA[:SIZE[:GAIN[:POWER]]]",
                        help="decodings to score instead of DECODINGS (alpha < 0 rebalances further; SIZE 0: "
                             "the generator's own; POWER: the confidence power)")
    parser.add_argument("models", nargs="+", help="generator model folders (generator.keras + config.json)")
    args = parser.parse_args(argv)

    decodings = DECODINGS if not args.decodings else [
        (float(t), float(a), int(rest[0]) or None if rest else None, float(rest[1]) if len(rest) > 1 else 1.0,
         float(rest[2]) if len(rest) > 2 else 0.0)
        for t, a, *rest in (d.split(":") for d in args.decodings)]
    prior = load_prior(args.prior)
    log_weights = np.log(prior.weights).astype(np.float32)
    sets = photo_sets(args.photos)
    truths = load_cuts([path for name in args.set.split(",") for path in sets[name]])
    results = {}
    for model_dir in args.models:
        name = os.path.basename(os.path.normpath(model_dir))
        colorized = {GREY: grey_cuts(truths), **decodings_of(model_dir, truths, log_weights, decodings)}
        results[name] = score(colorized, truths, prior.prior)
        for decoding, s in results[name].items():
            if decoding == GREY:
                continue
            d = s["vs_grey"]
            print(f"{name:14s} {decoding:16s} raw − grey {d['auc_raw']:+5.2f} [{d['auc_raw_ci'][0]:+.1f}, "
                  f"{d['auc_raw_ci'][1]:+.1f}]  rebalanced − grey {d['auc_rebalanced']:+5.2f} "
                  f"[{d['auc_rebalanced_ci'][0]:+.1f}, {d['auc_rebalanced_ci'][1]:+.1f}]  CF {s['cf']:5.1f}  "
                  f"ΔCF {s['delta_cf']:5.1f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"set": args.set, "photos": len(truths), "prior": args.prior, "models": results}, f, indent=1)


if __name__ == "__main__":
    main()
