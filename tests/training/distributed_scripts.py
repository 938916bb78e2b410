"""Keras-style scripts that the torchrun acceptance tests write into a temporary folder and start, unmodified,
as one process (``python script.py OUT``) and as a torchrun job (``torchrun --nproc_per_node=2 script.py OUT``).

Each process writes what it saw into OUT as ``<rank>.npz`` / ``<rank>.json`` (``single`` for the one-process run).
The ranks are seeded differently (rank 0 like the single process), so equal results show that rank 0's weights
and shuffles are the ones every rank uses.
"""

# fit with arrays (a sample count that does not divide evenly, an empty share in the last batch), validation,
# checkpoints, CSV, EarlyStopping; evaluate; predict; a torch Dataset, a user's DataLoader, a DataLoader with a
# DistributedSampler, mixed_float16 (loss scaling), a PyDataset, a generator; keras.distribution's API.
FIT_SCRIPT = r'''
import json, os, sys, warnings
import numpy as np
import torch
import kerastorch as keras

out = sys.argv[1]
rank = os.environ.get("RANK", "single")
keras.utils.set_random_seed(7 + int(os.environ.get("RANK", "0")))
data = np.random.default_rng(0)
x, y = data.normal(size=(49, 5)).astype("float32"), data.normal(size=(49, 2)).astype("float32")
x_val, y_val = data.normal(size=(17, 5)).astype("float32"), data.normal(size=(17, 2)).astype("float32")
x_new = data.normal(size=(13, 5)).astype("float32")
report = {}


def mlp():
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


model = mlp()
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=1.0, patience=2),
    keras.callbacks.ModelCheckpoint(os.path.join(out, "ckpt-{epoch}.keras"), verbose=1),
    keras.callbacks.ModelCheckpoint(os.path.join(out, "best.weights.safetensors"), save_best_only=True,
                                    save_weights_only=True),
    keras.callbacks.CSVLogger(os.path.join(out, "log.csv")),
]
history = model.fit(x, y, batch_size=8, epochs=6, validation_data=(x_val, y_val), callbacks=callbacks, verbose=1)
report["history"] = history.history
report["evaluate"] = model.evaluate(x_val, y_val, batch_size=8, verbose=0, return_dict=True)
arrays = {"mlp_%d" % i: w for i, w in enumerate(model.get_weights())}
arrays["predict"] = model.predict(x_new, batch_size=5, verbose=0)
arrays["predict_one"] = model.predict(x_new[:1], verbose=0)  # rank 1's share is empty
model.save(os.path.join(out, "final.keras"))

# A model built by its first batch (rank 0's weights must reach the ranks before that batch's gradients), with a
# second output that no loss reaches (its weights get no gradient and must stay as they are).
keras.utils.set_random_seed(17 + int(os.environ.get("RANK", "0")))
inputs = keras.Input((5,))
hidden = keras.layers.Dense(4, activation="relu")(inputs)
two_heads = keras.Model(inputs, [keras.layers.Dense(2, name="used")(hidden),
                                 keras.layers.Dense(1, name="unused")(hidden)])
two_heads.compile(optimizer=keras.optimizers.Adam(0.01), loss=["mse", None])
two_heads.fit(x, [y, np.zeros((49, 1), "float32")], batch_size=8, epochs=2, verbose=0)
arrays.update({"heads_%d" % i: w for i, w in enumerate(two_heads.get_weights())})
keras.utils.set_random_seed(19 + int(os.environ.get("RANK", "0")))
lazy = keras.Sequential([keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)])
lazy.compile(optimizer="sgd", loss="mse")
lazy.fit(x, y, batch_size=8, epochs=2, verbose=0)
arrays.update({"lazy_%d" % i: w for i, w in enumerate(lazy.get_weights())})
# A callback that stops training mid-epoch on rank 0 only: every rank must stop after the same batch.
class StopOnRankZero(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2 and os.environ.get("RANK", "0") == "0":
            self.model.stop_training = True


model = mlp()
model.fit(x, y, batch_size=8, epochs=3, callbacks=[StopOnRankZero()], verbose=0)
report["stopped_after_steps"] = int(model.optimizer.iterations)


# A model's own train_step, Keras 3's torch style: what it hands optimizer.apply is averaged over the ranks.
class OwnStep(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(4, activation="relu")
        self.out = keras.layers.Dense(2)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        loss = self.compute_loss(y=y, y_pred=self(x, training=True))
        loss.backward()
        weights = list(self.trainable_weights)
        with torch.no_grad():
            self.optimizer.apply([w.value.grad for w in weights], weights)
        return {"loss": loss.detach()}


keras.utils.set_random_seed(23 + int(os.environ.get("RANK", "0")))
own = OwnStep()
own.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
own(x[:1])
report["ownstep_history"] = own.fit(x, y, batch_size=8, epochs=2, verbose=0).history
arrays.update({"ownstep_%d" % i: w for i, w in enumerate(own.get_weights())})
# Each rank's BatchNormalization statistics come from its own shares: rank 0's are kept at each epoch's end.
normalized = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.BatchNormalization(),
                               keras.layers.Dense(2)])
normalized.compile(optimizer="adam", loss="mse")
normalized.fit(x, y, batch_size=8, epochs=2, verbose=0)
arrays.update({"batchnorm_%d" % i: w for i, w in enumerate(normalized.get_weights())})


class LoggedDataset(torch.utils.data.Dataset):
    def __init__(self):
        self.seen = []

    def __len__(self):
        return len(x)

    def __getitem__(self, index):
        self.seen.append(int(index))
        return torch.from_numpy(x[index]), torch.from_numpy(y[index])


for name in ("dataset", "loader"):
    keras.utils.set_random_seed(11 + int(os.environ.get("RANK", "0")))
    model = mlp()
    source = LoggedDataset()
    feed = source if name == "dataset" else torch.utils.data.DataLoader(source, batch_size=8, shuffle=True)
    model.fit(feed, batch_size=8 if name == "dataset" else None, epochs=2, verbose=0)
    report[name + "_seen"] = source.seen
    arrays.update({"%s_%d" % (name, i): w for i, w in enumerate(model.get_weights())})

if rank != "single":
    source = LoggedDataset()
    sampler = torch.utils.data.distributed.DistributedSampler(source, shuffle=True)
    model = mlp()
    model.fit(torch.utils.data.DataLoader(source, batch_size=4, sampler=sampler), epochs=3, verbose=0)
    report["sampler_epoch"] = sampler.epoch
    report["sampler_seen"] = source.seen


class Batches(keras.utils.PyDataset):
    def __len__(self):
        return 5

    def __getitem__(self, index):
        return x[index * 10:(index + 1) * 10], y[index * 10:(index + 1) * 10]


keras.utils.set_random_seed(13 + int(os.environ.get("RANK", "0")))
keras.mixed_precision.set_global_policy("mixed_float16")
model = mlp()
model.fit(x, y, batch_size=8, epochs=2, verbose=0)
keras.mixed_precision.set_global_policy("float32")
arrays.update({"fp16_%d" % i: w for i, w in enumerate(model.get_weights())})
arrays["fp16_loss_scale"] = np.asarray(float(model.optimizer.dynamic_scale))

model = mlp()
model.fit(Batches(), epochs=2, verbose=0)
arrays.update({"pydataset_%d" % i: w for i, w in enumerate(model.get_weights())})


def generator():
    for start in range(0, 40, 10):
        yield x[start:start + 10], y[start:start + 10]


with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    mlp().fit(generator(), epochs=1, verbose=0)
report["generator_warnings"] = [str(w.message) for w in caught]

from kerastorch import distribution
report["list_devices"] = distribution.list_devices()
parallel = distribution.DataParallel()
distribution.set_distribution(parallel)
report["replicas"] = parallel.num_model_replicas
report["same_distribution"] = distribution.distribution() is parallel
np.savez(os.path.join(out, rank + ".npz"), **arrays)
with open(os.path.join(out, rank + ".json"), "w") as file:
    json.dump(report, file)
'''

# BackupAndRestore: with STALL set, the job waits at the start of epoch 3 (after the backup of epoch 2) until it is
# killed; started again, it resumes from rank 0's backup. With OWN_GROUP set, the script makes the process group
# itself (kerastorch must use it, and leave it alone).
BACKUP_SCRIPT = r'''
import json, os, sys, time
import numpy as np
import torch.distributed as dist
import kerastorch as keras

out = sys.argv[1]
rank = os.environ.get("RANK", "single")
if os.environ.get("OWN_GROUP"):
    dist.init_process_group("gloo")
keras.utils.set_random_seed(3 + int(os.environ.get("RANK", "0")))
data = np.random.default_rng(1)
x, y = data.normal(size=(30, 4)).astype("float32"), data.normal(size=(30, 1)).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="tanh"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")


class Stall(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2 and os.environ.get("STALL"):
            if rank in ("0", "single"):
                open(os.path.join(out, "stalled"), "w").close()
            time.sleep(120)


history = model.fit(x, y, batch_size=7, epochs=4, verbose=0,
                    callbacks=[keras.callbacks.BackupAndRestore(os.path.join(out, "backup")), Stall()])
np.savez(os.path.join(out, rank + ".npz"), *model.get_weights())
with open(os.path.join(out, rank + ".json"), "w") as file:
    json.dump(dict(history.history, group_kept=dist.is_initialized()), file)
if os.environ.get("OWN_GROUP"):
    dist.destroy_process_group()
'''
