"""An IMDB-style sentiment classifier: word embeddings and a bidirectional LSTM read a review and say whether
it is positive.

The reviews are generated here (no download): sentences of neutral words with a few opinion words ("great",
"awful", ...), some of them negated ("not great"). A review is positive when its opinions, with negation
flipping an opinion, add up to more praise than blame, so the model has to read words in context, not just count
them. The words become integer ids (0 is padding, 1 an unknown word), every review is padded or cut to the same
length, and Embedding(mask_zero=True) tells the LSTM to skip the padding.

Run it with `python examples/sentiment_bilstm.py`. KERASTORCH_EXAMPLE_QUICK=1 trains on fewer reviews for
fewer epochs; tests/test_sequence_examples.py checks that it learns.
"""
import os

import numpy as np

import kerastorch as keras
from kerastorch import layers

NEUTRAL = ("the movie film plot actor actress scene story director music camera ending script cast character "
           "was is were and but with this that it of a to in on for as very really quite rather so too").split()
POSITIVE = "great good wonderful brilliant moving funny superb enjoyable".split()
NEGATIVE = "bad awful boring dull terrible weak silly tedious".split()
MAX_LENGTH = 32
FULL_RUN = {"train_reviews": 8000, "test_reviews": 2000, "epochs": 6}
QUICK_RUN = {"train_reviews": 1536, "test_reviews": 512, "epochs": 3}


def make_reviews(count, rng):
    """``count`` reviews (lists of words) and their labels (1 positive, 0 negative)."""
    reviews, labels = [], []
    for _ in range(count):
        words = list(rng.choice(NEUTRAL, size=rng.integers(6, MAX_LENGTH - 10)))
        score = 0
        while score == 0:   # no ties: every review leans one way
            positive = rng.random() < 0.5
            negated = rng.random() < 0.3
            opinion = rng.choice(POSITIVE if positive else NEGATIVE)
            at = int(rng.integers(0, len(words) + 1))
            words[at:at] = ["not", opinion] if negated else [opinion]
            score += (1 if positive else -1) * (-1 if negated else 1)
            if len(words) > MAX_LENGTH - 4 and score != 0:
                break
        reviews.append(words)
        labels.append(int(score > 0))
    return reviews, np.array(labels, dtype="float32")


def vectorize(reviews, vocabulary):
    """Word ids, right-padded with 0 (or cut) to MAX_LENGTH; a word not in ``vocabulary`` becomes 1."""
    ids = np.zeros((len(reviews), MAX_LENGTH), dtype="int32")
    for row, words in enumerate(reviews):
        tokens = [vocabulary.get(word, 1) for word in words][:MAX_LENGTH]
        ids[row, :len(tokens)] = tokens
    return ids


def build_model(vocabulary_size):
    return keras.Sequential([
        keras.Input((MAX_LENGTH,), dtype="int32"),
        layers.Embedding(vocabulary_size, 32, mask_zero=True),
        layers.Bidirectional(layers.LSTM(32)),
        layers.Dense(1, activation="sigmoid"),
    ])


def main(quick=None):
    """Train and evaluate; returns the History's logs and the test loss and accuracy."""
    if quick is None:
        quick = os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1"
    run = QUICK_RUN if quick else FULL_RUN
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_reviews, train_y = make_reviews(run["train_reviews"], rng)
    test_reviews, test_y = make_reviews(run["test_reviews"], rng)
    vocabulary = {word: i + 2 for i, word in enumerate(sorted(set(NEUTRAL + POSITIVE + NEGATIVE + ["not"])))}
    train_x, test_x = vectorize(train_reviews, vocabulary), vectorize(test_reviews, vocabulary)
    print(f"{len(train_x)} training reviews, {len(test_x)} test reviews, {len(vocabulary) + 2} word ids; "
          f"e.g. {' '.join(train_reviews[0])!r} -> {'positive' if train_y[0] else 'negative'}")

    model = build_model(len(vocabulary) + 2)
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train_x, train_y, batch_size=32, epochs=run["epochs"], validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(test_x, test_y, batch_size=256, verbose=0)
    print(f"test loss: {loss:.4f} - test accuracy: {accuracy:.4f} (the majority class: "
          f"{max(test_y.mean(), 1 - test_y.mean()):.4f})")
    for text in ("the movie was not good", "the acting was superb and the story moving", "not bad at all"):
        probability = float(model.predict(vectorize([text.split()], vocabulary), verbose=0)[0, 0])
        print(f"{text!r}: {probability:.2f} positive")
    return {"history": history.history, "test_loss": loss, "test_accuracy": accuracy}


if __name__ == "__main__":
    main()
