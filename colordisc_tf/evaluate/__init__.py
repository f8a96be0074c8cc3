"""Evaluation: realness scores, the failure cases they select, before/after, the reports.

    scoring        realness of real vs colorized records (a Beam pass), scores.jsonl, their metrics
    failures       the failure-case rule (quantile xor threshold) and the failure Examples
    before_after   the fine-tuned generator against the base one, and the blessing
    report         the realness report (histogram, worst cases) and the before/after HTML page
(The metrics themselves are colordisc_tf.metrics.)
"""
