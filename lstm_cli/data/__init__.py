"""Data: reading, vocabularies, encoding, batching and built-in datasets.

Pipeline, one module per step (import from the module itself):

    dataset.read_dataset    file -> list[Example]     (conll, conllu, jsonl, dense, text readers)
    length.enforce_max_length / windows.make_windows  optional reshaping of the Examples
    split.split_examples    deterministic train/dev/test split
    vocab.Vocabs.build      token, feature and label vocabularies (saved with `to_dict`)
    vectors                 pretrained vectors -> embedding matrix for a Vocab
    encoding.encode_examples  Examples -> EncodedExample arrays (once per dataset)
    batching.iter_batches   EncodedExamples -> padded time-major Batches (every epoch)
    generators.make         built-in datasets (queries, embedded-reber, adding, parity)
"""
