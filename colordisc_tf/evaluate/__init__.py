"""Evaluation: realness scores, the failure cases they select, before/after, the reports.

    measures       the one measuring path: per-image measures -> set statistics with intervals
                   (PSNR cap, AuC area, ΔCF live here); every evaluation below measures through it

    scoring        realness of real vs colorized records (a Beam pass), scores.jsonl, their metrics
    failures       the failure-case rule (quantile xor threshold) and the failure Examples
    before_after   the fine-tuned generator against the base one: per-image values, paired differences
    blessing       the verdict on those differences' intervals (blessed / NOT blessed / not enough evidence)
    report         the realness report (histogram, worst cases) and the before/after HTML page
    standard       `colordisc evaluate`: a generator under the frozen protocol, resumable; its parts:
      protocol       which images, the centre crop and the resize (val5k.txt: the shipped list)
      per_image      what is kept of each image; summary: the set metrics and their intervals
      frechet        the Fréchet distance (FID) of two feature sets
      run_store      the output folder a killed run resumes; page: its HTML; published: the papers' numbers
(The metric formulas themselves are colordisc_tf.metrics; adding a metric: evaluate.measures.)
"""
