"""The data's first stage: image files -> Lab records (+ rejects) -> the colour prior.

    image_io       decode any image file into sRGB, or say why not (REASONS)
    record_format  the Lab record, written and read without TensorFlow (Beam workers)
    records        the one tf.data reader of Lab records
    preprocess     the Beam job: image files -> records per split, rejects.jsonl, summary.json
    prior          the Beam pass counting the empirical ab prior, and its artifacts
    demo_photos    the bundled demo photos (scikit-image / scikit-learn)
"""
