"""``keras.wrappers``: scikit-learn estimators around kerastorch models.

Keras 3's SKLearnClassifier, SKLearnRegressor and SKLearnTransformer are here; Keras 2's KerasClassifier and
KerasRegressor are in ``keras.wrappers.scikit_learn``. scikit-learn is the optional extra ``sklearn``
(``pip install 'kerastorch[sklearn]'``). Not to be confused with ``keras.layers.wrappers`` (TimeDistributed,
Bidirectional).
"""
from kerastorch._porting import missing_attribute
from kerastorch.wrappers.sklearn_wrapper import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]

__getattr__ = missing_attribute(__name__)
