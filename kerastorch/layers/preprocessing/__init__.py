"""Keras's preprocessing layers: Normalization, Discretization, CategoryEncoding, Hashing, HashedCrossing,
StringLookup, IntegerLookup, TextVectorization."""
from kerastorch.layers.preprocessing.category_encoding import CategoryEncoding
from kerastorch.layers.preprocessing.discretization import Discretization
from kerastorch.layers.preprocessing.integer_lookup import IntegerLookup
from kerastorch.layers.preprocessing.normalization import Normalization
from kerastorch.layers.preprocessing.string_lookup import StringLookup
from kerastorch.layers.preprocessing.text_vectorization import TextVectorization
from kerastorch.layers.preprocessing.hashing import HashedCrossing, Hashing
