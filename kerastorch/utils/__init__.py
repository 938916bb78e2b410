"""Utilities: one-hot encoding, seeding, PyDataset, model plots (``plot_model``), and (Keras 2's path)
``np_utils``."""
from kerastorch._porting import missing_attribute
from kerastorch.backend import is_keras_tensor, set_random_seed, standardize_dtype
from kerastorch.registry import (CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
                                 get_registered_object, register_keras_serializable)
from kerastorch.saving.serialization import deserialize_keras_object, serialize_keras_object
from kerastorch.utils.numerical_utils import normalize, to_categorical
from kerastorch.utils.layer_utils import get_source_inputs, print_summary
from kerastorch.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerastorch.utils.file_utils import get_file
from kerastorch.data import (image_dataset_from_directory, split_dataset, text_dataset_from_directory,
                             timeseries_dataset_from_array)
from kerastorch.utils.py_dataset import PyDataset, Sequence
from kerastorch.training.progbar import Progbar
from kerastorch.utils.sequence_utils import pad_sequences
from kerastorch.utils.model_visualization import model_to_dot, plot_model

__getattr__ = missing_attribute(__name__)
