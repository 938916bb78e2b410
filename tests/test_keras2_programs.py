"""Short programs written in Keras 2's style run unmodified through ``kerastorch run``, on data they generate.

Each program is a file written as a Keras 2 user wrote them (``from keras.layers.core import Dense``, ``K.*``
functions, ``Lambda`` layers with ``output_shape``, ``add_loss``, stateful recurrent layers, the scikit-learn
wrapper), run in a subprocess as ``python -m kerastorch run PROGRAM``; it prints a last line the test checks.
"""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MLP = """
from __future__ import print_function
import numpy as np
import keras
from keras.models import Sequential
from keras.layers.core import Dense, Dropout, Activation
from keras.optimizers import RMSprop
from keras.callbacks import EarlyStopping
from keras.utils import np_utils

np.random.seed(7)
x_train = np.random.rand(48, 8).astype('float32')
y_train = np_utils.to_categorical((x_train[:, 0] > 0.5).astype(int), 2)
model = Sequential()
model.add(Dense(16, input_dim=8))
model.add(Activation('relu'))
model.add(Dropout(0.2))
model.add(Dense(2, activation='softmax'))
model.summary()
model.compile(loss='categorical_crossentropy', optimizer=RMSprop(), metrics=['accuracy'])
history = model.fit(x_train, y_train, batch_size=16, epochs=3, verbose=2, validation_split=0.25,
                    callbacks=[EarlyStopping(monitor='val_loss', patience=5)])
score = model.evaluate(x_train, y_train, verbose=0)
print('metrics:', model.metrics_names, 'history:', sorted(history.history))
print('done', len(score))
"""

TWO_INPUTS = """
import numpy as np
from keras import layers
from keras.models import Model
from keras.preprocessing.sequence import pad_sequences

rng = np.random.RandomState(0)
vocab_size, story_maxlen, query_maxlen = 12, 9, 4
stories = [list(rng.randint(1, vocab_size, size=rng.randint(3, 10))) for _ in range(24)]
queries = [list(rng.randint(1, vocab_size, size=rng.randint(2, 5))) for _ in range(24)]
answers = np.zeros((24, vocab_size))
answers[np.arange(24), [s[0] for s in stories]] = 1
x = pad_sequences(stories, maxlen=story_maxlen)
xq = pad_sequences(queries, maxlen=query_maxlen)

sentence = layers.Input(shape=(story_maxlen,), dtype='int32')
encoded_sentence = layers.Embedding(vocab_size, 8)(sentence)
encoded_sentence = layers.Dropout(0.3)(encoded_sentence)
question = layers.Input(shape=(query_maxlen,), dtype='int32')
encoded_question = layers.Embedding(vocab_size, 8)(question)
encoded_question = layers.LSTM(8)(encoded_question)
encoded_question = layers.RepeatVector(story_maxlen)(encoded_question)
merged = layers.add([encoded_sentence, encoded_question])
merged = layers.LSTM(8)(merged)
preds = layers.Dense(vocab_size, activation='softmax')(merged)
model = Model([sentence, question], preds)
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
model.fit([x, xq], answers, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
loss, acc = model.evaluate([x, xq], answers, batch_size=8, verbose=0)
print('done', model.predict([x, xq]).shape)
"""

STATEFUL = """
import numpy as np
from keras.models import Sequential
from keras.layers import Dense, LSTM

batch_size, tsteps = 1, 2
signal = np.sin(np.arange(40) / 3.0).astype('float32')
x = np.stack([signal[i:i + tsteps] for i in range(30)])[:, :, None]
y = signal[tsteps:tsteps + 30][:, None]
model = Sequential()
model.add(LSTM(6, input_shape=(tsteps, 1), batch_size=batch_size, return_sequences=False, stateful=True))
model.add(Dense(1))
model.compile(loss='mse', optimizer='adam')
for epoch in range(2):
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    model.reset_states()
predicted = model.predict(x, batch_size=batch_size)
print('done', predicted.shape)
"""

VAE = """
import numpy as np
from keras.layers import Lambda, Input, Dense
from keras.models import Model
from keras.losses import binary_crossentropy
from keras import backend as K

original_dim, latent_dim = 16, 2
x_train = (np.random.RandomState(0).rand(32, original_dim) > 0.5).astype('float32')


def sampling(args):
    z_mean, z_log_var = args
    batch = K.shape(z_mean)[0]
    dim = K.int_shape(z_mean)[1]
    epsilon = K.random_normal(shape=(batch, dim))
    return z_mean + K.exp(0.5 * z_log_var) * epsilon


inputs = Input(shape=(original_dim,), name='encoder_input')
hidden = Dense(8, activation='relu')(inputs)
z_mean = Dense(latent_dim, name='z_mean')(hidden)
z_log_var = Dense(latent_dim, name='z_log_var')(hidden)
z = Lambda(sampling, output_shape=(latent_dim,), name='z')([z_mean, z_log_var])
encoder = Model(inputs, [z_mean, z_log_var, z], name='encoder')
latent_inputs = Input(shape=(latent_dim,), name='z_sampling')
decoded = Dense(original_dim, activation='sigmoid')(Dense(8, activation='relu')(latent_inputs))
decoder = Model(latent_inputs, decoded, name='decoder')
outputs = decoder(encoder(inputs)[2])
vae = Model(inputs, outputs, name='vae_mlp')

reconstruction_loss = binary_crossentropy(inputs, outputs) * original_dim
kl_loss = -0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
vae.add_loss(K.mean(reconstruction_loss + kl_loss))
vae.compile(optimizer='adam')
history = vae.fit(x_train, epochs=2, batch_size=8, validation_data=(x_train, None), verbose=0)
means = encoder.predict(x_train, batch_size=8)[0]
print('done', means.shape, sorted(history.history))
"""

SIAMESE = """
import numpy as np
from keras.models import Model
from keras.layers import Input, Flatten, Dense, Dropout, Lambda
from keras.optimizers import RMSprop
from keras import backend as K


def euclidean_distance(vects):
    x, y = vects
    sum_square = K.sum(K.square(x - y), axis=1, keepdims=True)
    return K.sqrt(K.maximum(sum_square, K.epsilon()))


def eucl_dist_output_shape(shapes):
    shape1, shape2 = shapes
    return (shape1[0], 1)


def contrastive_loss(y_true, y_pred):
    margin = 1
    square_pred = K.square(y_pred)
    margin_square = K.square(K.maximum(margin - y_pred, 0))
    return K.mean(y_true * square_pred + (1 - y_true) * margin_square)


def accuracy(y_true, y_pred):
    return K.mean(K.equal(y_true, K.cast(y_pred < 0.5, y_true.dtype)))


rng = np.random.RandomState(0)
left, right = rng.rand(2, 20, 4, 4).astype('float32')
same = (np.arange(20) % 2).astype('float32')
right[same == 1] = left[same == 1]

inputs = Input(shape=(4, 4))
hidden = Dropout(0.1)(Dense(8, activation='relu')(Flatten()(inputs)))
base_network = Model(inputs, Dense(8, activation='relu')(hidden))
input_a, input_b = Input(shape=(4, 4)), Input(shape=(4, 4))
distance = Lambda(euclidean_distance, output_shape=eucl_dist_output_shape)(
    [base_network(input_a), base_network(input_b)])
model = Model([input_a, input_b], distance)
model.compile(loss=contrastive_loss, optimizer=RMSprop(), metrics=[accuracy])
model.fit([left, right], same, batch_size=5, epochs=2, validation_data=([left, right], same), verbose=0)
y_pred = model.predict([left, right])
print('done', y_pred.shape)
"""

SKLEARN = """
import numpy as np
from keras.models import Sequential
from keras.layers import Dense
from keras.wrappers.scikit_learn import KerasClassifier
from sklearn.model_selection import GridSearchCV


def make_model(hidden=4):
    model = Sequential()
    model.add(Dense(hidden, activation='relu', input_shape=(3,)))
    model.add(Dense(2, activation='softmax'))
    model.compile(loss='categorical_crossentropy', optimizer='adadelta', metrics=['accuracy'])
    return model


x = np.random.RandomState(0).rand(16, 3).astype('float32')
y = (x[:, 0] > 0.5).astype(int)
grid = GridSearchCV(KerasClassifier(make_model, batch_size=4, verbose=0),
                    param_grid={'hidden': [2, 4], 'epochs': [1, 2]}, cv=2)
grid.fit(x, y)
print('done', sorted(grid.best_params_))
"""

PROGRAMS = {
    "mlp": (MLP, "done 2"),
    "two_inputs": (TWO_INPUTS, "done (24, 12)"),
    "stateful_lstm": (STATEFUL, "done (30, 1)"),
    "vae_add_loss": (VAE, "done (32, 2) ['loss', 'val_loss']"),
    "siamese_lambda": (SIAMESE, "done (20, 1)"),
    "sklearn_grid_search": (SKLEARN, "done ['epochs', 'hidden']"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_keras2_program_runs_unmodified(name, tmp_path):
    source, last_line = PROGRAMS[name]
    if name == "sklearn_grid_search":
        pytest.importorskip("sklearn")
    program = tmp_path / f"{name}.py"
    program.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT, KERASTORCH_DEVICE="cpu")
    result = subprocess.run([sys.executable, "-m", "kerastorch", "run", str(program)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == last_line, result.stdout[-2000:]
