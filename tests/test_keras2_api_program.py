"""A Keras 2 program that uses the legacy model API, optimizer arguments and module paths together runs
unmodified through ``kerastorch run`` (on data it generates itself)."""
import textwrap

import pytest

PROGRAM = textwrap.dedent("""
    from __future__ import print_function
    import numpy as np
    import keras
    from keras import backend as K
    from keras import initializers
    from keras.engine.topology import Input
    from keras.layers import Dense
    from keras.layers.advanced_activations import LeakyReLU
    from keras.layers.embeddings import Embedding
    from keras.layers.merge import concatenate
    from keras.layers.recurrent import LSTM
    from keras.models import Model, Sequential
    from keras.optimizers import SGD, Adam
    from keras.utils.generic_utils import Progbar, to_list
    from keras.utils.np_utils import to_categorical

    np.random.seed(0)
    x = np.random.rand(64, 6).astype('float32')
    y = to_categorical((x.sum(axis=1) > 3).astype('int64'), 2)

    def batches():
        while True:
            for start in range(0, 64, 16):
                yield x[start:start + 16], y[start:start + 16]

    model = Sequential()
    model.add(Dense(8, input_dim=6, kernel_initializer=initializers.normal(stddev=0.1)))
    model.add(LeakyReLU(alpha=0.1))
    model.add(Dense(2, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer=Adam(lr=0.01, decay=1e-4), metrics=['acc'])
    history = model.fit_generator(batches(), steps_per_epoch=4, epochs=2, verbose=0,
                                  validation_data=(x, y), workers=2, use_multiprocessing=False)
    print('history', sorted(history.history))
    print('metrics_names', model.metrics_names)
    print('classes', model.predict_classes(x[:5], verbose=0).shape)
    print('lr', round(float(K.get_value(model.optimizer.lr)), 6))

    left, right = Input(shape=(3,)), Input(shape=(3,))
    merged = concatenate([Dense(4)(left), Dense(4)(right)])
    pair = Model(input=[left, right], output=Dense(1, activation='sigmoid')(merged))
    pair.compile(SGD(lr=0.1, momentum=0.9, nesterov=True, clipnorm=1.0), 'binary_crossentropy',
                 metrics=['accuracy'])
    pair.fit([x[:, :3], x[:, 3:]], y[:, :1], epochs=1, batch_size=16, verbose=0)
    print('evaluate', len(pair.evaluate_generator(iter([([x[:, :3], x[:, 3:]], y[:, :1])]), steps=1)))

    words = np.random.randint(1, 20, size=(8, 5))
    text = Sequential([Embedding(20, 4, input_length=5), LSTM(3)])
    print('text', text.output_shape, text.layers[1].output_shape)

    features = Model(model.input, model.layers[0].output)
    print('features', features.predict(x[:2]).shape, to_list(features.output)[0].shape)
    bar = Progbar(2)
    bar.update(2)
    print('done')
""")


@pytest.mark.slow
def test_keras_2_program_with_the_legacy_api_runs_unmodified(kerastorch_runner, tmp_path):
    script = tmp_path / "keras2_api_program.py"
    script.write_text(PROGRAM)
    result = kerastorch_runner.run(script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith(("2/2", "\r"))]
    printed = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in lines if " " in line}
    assert printed["history"] == "['acc', 'loss', 'val_acc', 'val_loss']"
    assert printed["metrics_names"] == "['loss', 'acc']"
    assert printed["classes"] == "(5,)"
    assert printed["lr"] == "0.01"   # Keras 2's optimizer.lr is the rate before the decay
    assert printed["evaluate"] == "2"
    assert printed["text"] == "(None, 3) (None, 3)"
    assert printed["features"] == "(2, 8) (None, 8)"
    assert result.stdout.rstrip().endswith("done")
