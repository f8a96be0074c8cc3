"""The data's first stage: image files -> Lab records (+ rejects) -> the colour prior.

    image_io       decode any image file into sRGB, or say why not (REASONS)
    record_format  the Lab record, written and read without TensorFlow (Beam workers)
    records        the one tf.data reader of Lab records
    numpy_records  its NumPy twin for hosts without TensorFlow (reader_choice picks; tfrecord_io frames)
    preprocess     the Beam job: image files -> records per split, rejects.jsonl, summary.json
    prior          the Beam pass counting the empirical ab prior
    color_prior    the prior's value (ColorPrior, load_prior) and its artifacts, without Beam
    demo_photos    the bundled demo photos (scikit-image / scikit-learn)
"""
