"""Character-level text generation with an LSTM: it reads 24 characters and predicts the next one, then writes
new text one character at a time, sampling with a temperature.

The text is generated here (no download): sentences from a small grammar ("the old fox runs over a quiet
river."). The model sees every window of 24 characters (every 3rd start) and learns the distribution of the
character that follows. To write, it starts from a piece of the text and repeatedly samples the next character
from its prediction reshaped by a temperature: low temperatures pick the likeliest characters (repetitive but
correct words), high ones take more risks (more varied, more misspelt). How many of the written words are words
of the grammar measures what it learnt.

Run it with `python examples/char_text_generation.py`. KERASTORCH_EXAMPLE_QUICK=1 trains on less text for
fewer epochs; tests/test_sequence_examples.py checks that it learns.
"""
import os

import numpy as np

import kerastorch as keras
from kerastorch import layers

DETERMINERS = "the a every one this".split()
ADJECTIVES = "old quick quiet brown small happy lazy red".split()
NOUNS = "fox dog river cat house tree bird garden".split()
VERBS = "runs jumps looks sleeps waits sings".split()
PREPOSITIONS = "over under near behind into".split()
WORDS = set(DETERMINERS + ADJECTIVES + NOUNS + VERBS + PREPOSITIONS)
WINDOW, STRIDE = 24, 3
TEMPERATURES = (0.2, 0.5, 1.0)
FULL_RUN = {"sentences": 3000, "epochs": 12, "generate": 300}
QUICK_RUN = {"sentences": 400, "epochs": 5, "generate": 80}


def make_text(sentences, rng):
    def pick(words):
        return words[rng.integers(len(words))]
    return " ".join(f"{pick(DETERMINERS)} {pick(ADJECTIVES)} {pick(NOUNS)} {pick(VERBS)} {pick(PREPOSITIONS)} "
                    f"{pick(DETERMINERS)} {pick(ADJECTIVES)} {pick(NOUNS)}." for _ in range(sentences))


def windows(codes):
    """Every STRIDE-th window of WINDOW character codes, and the code that follows each."""
    starts = np.arange(0, len(codes) - WINDOW, STRIDE)
    x = codes[starts[:, None] + np.arange(WINDOW)[None, :]]
    return x.astype("int32"), codes[starts + WINDOW].astype("int32")


def build_model(characters):
    return keras.Sequential([
        keras.Input((WINDOW,), dtype="int32"),
        layers.Embedding(characters, 16),
        layers.LSTM(128),
        layers.Dense(characters, activation="softmax"),
    ])


def sample(probabilities, temperature, rng):
    """One index drawn from ``probabilities`` sharpened (temperature < 1) or flattened (> 1)."""
    logits = np.log(np.maximum(probabilities.astype("float64"), 1e-12)) / temperature
    weights = np.exp(logits - logits.max())
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def generate(model, seed_codes, length, rng):
    """``length`` new characters after ``seed_codes`` for each of TEMPERATURES, written together as one batch."""
    context = np.tile(seed_codes[-WINDOW:], (len(TEMPERATURES), 1)).astype("int32")
    written = [[] for _ in TEMPERATURES]
    for _ in range(length):
        probabilities = np.asarray(model.predict_on_batch(context))
        following = [sample(p, t, rng) for p, t in zip(probabilities, TEMPERATURES)]
        for codes, code in zip(written, following):
            codes.append(code)
        context = np.concatenate([context[:, 1:], np.array(following, "int32")[:, None]], axis=1)
    return written


def share_of_real_words(text):
    words = [word.strip(".") for word in text.split()[1:-1]]   # the first and last may be cut
    return sum(word in WORDS for word in words) / max(len(words), 1)


def main(quick=None):
    """Train and write; returns the History's logs, the texts written at each temperature and the share of
    their words that are words of the grammar."""
    if quick is None:
        quick = os.environ.get("KERASTORCH_EXAMPLE_QUICK") == "1"
    run = QUICK_RUN if quick else FULL_RUN
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    text = make_text(run["sentences"], rng)
    characters = sorted(set(text))
    codes = np.array([characters.index(c) for c in text])
    x, y = windows(codes)
    print(f"{len(text)} characters of text, {len(characters)} distinct; {len(x)} windows of {WINDOW}")

    model = build_model(len(characters))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=run["epochs"], verbose=2)

    start = int(rng.integers(len(codes) - WINDOW))
    print(f"seed: {text[start:start + WINDOW]!r}")
    shares = {}
    for temperature, written in zip(TEMPERATURES, generate(model, codes[start:start + WINDOW], run["generate"],
                                                           rng)):
        written_text = "".join(characters[code] for code in written)
        shares[temperature] = share_of_real_words(written_text)
        print(f"temperature {temperature}: {written_text!r}")
        print(f"  words of the grammar: {shares[temperature]:.0%}")
    return {"history": history.history, "shares": shares}


if __name__ == "__main__":
    main()
