"""Writes the fixtures of Keras 2's sequence and text utilities, for tests/preprocessing/.

    /work/tfvenv/bin/python tools/golden_keras2_preprocessing.py

Runs tf_keras (Keras 2.21) on the inputs below and writes tests/golden/preprocessing/sequence.json and text.json:
for each case its inputs, arguments and Keras 2's outputs (arrays as nested lists, with their dtype).
"""
import json
import pathlib
import random

import numpy as np
from tf_keras.preprocessing import sequence, text

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "golden" / "preprocessing"

SEQUENCES = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [], [11]]
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "Cats and dogs, dogs and cats: friends?",
         "A mat; a hat\tand a cat\nin the hat.", "Homework is THE worst"]


def array(value):
    value = np.asarray(value)
    return {"dtype": str(value.dtype), "value": value.tolist()}


def record_sequence():
    cases = {"pad": []}
    for kwargs in [{}, {"maxlen": 3}, {"maxlen": 3, "padding": "post"}, {"maxlen": 3, "truncating": "post"},
                   {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1},
                   {"maxlen": 6, "dtype": "float32", "value": 0.5}]:
        cases["pad"].append({"sequences": SEQUENCES, "kwargs": kwargs,
                             "out": array(sequence.pad_sequences(SEQUENCES, **kwargs))})
    vectors = [np.arange(6).reshape(3, 2).tolist(), np.arange(4).reshape(2, 2).tolist()]
    cases["pad_items"] = {"sequences": vectors, "kwargs": {"maxlen": 3, "dtype": "float32"},
                          "out": array(sequence.pad_sequences(vectors, maxlen=3, dtype="float32"))}
    words = [["a", "b"], ["c"]]
    cases["pad_strings"] = {"sequences": words, "kwargs": {"maxlen": 3, "value": "<pad>"},
                            "out": sequence.pad_sequences(words, maxlen=3, dtype=object, value="<pad>").tolist()}
    cases["sampling_table"] = [{"size": size, "sampling_factor": factor,
                                "out": sequence.make_sampling_table(size, factor).tolist()}
                               for size, factor in [(10, 1e-5), (20, 0.05), (5, 1.0)]]
    skipgram_cases = []
    for kwargs in [{"window_size": 2, "seed": 3}, {"window_size": 1, "negative_samples": 2.0, "seed": 5},
                   {"window_size": 2, "categorical": True, "shuffle": False},
                   {"window_size": 3, "sampling_table": [1.0, 0.9, 0.1, 0.5, 1.0, 0.3, 1.0, 0.2], "seed": 1}]:
        random.seed(42)
        couples, labels = sequence.skipgrams([1, 2, 0, 3, 4, 5, 6, 7], 8, **kwargs)
        skipgram_cases.append({"sequence": [1, 2, 0, 3, 4, 5, 6, 7], "vocabulary_size": 8, "kwargs": kwargs,
                               "python_seed": 42, "couples": couples, "labels": labels})
    cases["skipgrams"] = skipgram_cases
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(20) * 10
    generators = []
    for kwargs in [{"length": 3, "batch_size": 4}, {"length": 4, "sampling_rate": 2, "stride": 3, "batch_size": 2},
                   {"length": 2, "start_index": 3, "end_index": 15, "reverse": True, "batch_size": 5}]:
        generator = sequence.TimeseriesGenerator(data, targets, **kwargs)
        batches = [[array(x), array(y)] for x, y in (generator[i] for i in range(len(generator)))]
        generators.append({"kwargs": kwargs, "len": len(generator), "batches": batches,
                           "config": generator.get_config()})
    cases["timeseries"] = {"data": array(data), "targets": array(targets), "cases": generators}
    return cases


def record_text():
    cases = {"texts": TEXTS}
    cases["word_sequence"] = [
        {"kwargs": kwargs, "out": [text.text_to_word_sequence(t, **kwargs) for t in TEXTS]}
        for kwargs in [{}, {"lower": False}, {"filters": ".!", "split": " "}, {"split": "a"}]]
    cases["hashing_md5"] = [text.hashing_trick(t, 17, hash_function="md5") for t in TEXTS]
    tokenizers = []
    for kwargs in [{}, {"num_words": 5}, {"oov_token": "<unk>"}, {"num_words": 6, "oov_token": "<oov>"},
                   {"char_level": True}, {"lower": False, "filters": ""}]:
        tokenizer = text.Tokenizer(**kwargs)
        tokenizer.fit_on_texts(TEXTS)
        probe = TEXTS[:2] + ["unknown words and the cat", ""]
        sequences = tokenizer.texts_to_sequences(probe)
        case = {"kwargs": kwargs, "word_index": tokenizer.word_index, "word_counts": dict(tokenizer.word_counts),
                "word_docs": dict(tokenizer.word_docs), "index_docs": {str(k): v for k, v in
                                                                       tokenizer.index_docs.items()},
                "document_count": tokenizer.document_count, "probe": probe, "sequences": sequences,
                "texts": tokenizer.sequences_to_texts(sequences + [[1, 2, 99, 3]]),
                "matrices": {mode: tokenizer.texts_to_matrix(probe, mode=mode).tolist()
                             for mode in ("binary", "count", "tfidf", "freq")},
                "config": tokenizer.get_config(), "json": tokenizer.to_json()}
        tokenizers.append(case)
    cases["tokenizers"] = tokenizers
    on_sequences = text.Tokenizer(num_words=8)
    on_sequences.fit_on_sequences([[1, 2, 2, 3], [3, 4], [7, 1]])
    cases["fit_on_sequences"] = {
        "sequences": [[1, 2, 2, 3], [3, 4], [7, 1]], "document_count": on_sequences.document_count,
        "index_docs": {str(k): v for k, v in on_sequences.index_docs.items()},
        "matrices": {mode: on_sequences.sequences_to_matrix([[1, 2, 2, 9], [], [3]], mode=mode).tolist()
                     for mode in ("binary", "count", "tfidf", "freq")}}
    return cases


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sequence.json").write_text(json.dumps(record_sequence()), encoding="utf-8")
    (OUT / "text.json").write_text(json.dumps(record_text()), encoding="utf-8")
    print("wrote", OUT)
