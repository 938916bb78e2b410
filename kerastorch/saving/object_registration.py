"""Registering user classes and functions so that saved configs can name them and loading can find them
(Keras's ``keras.saving`` names for :mod:`kerastorch.registry`, where the one registry lives).

``@register_keras_serializable(package="MyPackage")`` records a class under ``"MyPackage>ClassName"``; configs
written afterwards carry that registered name, and ``load_model`` finds the class without ``custom_objects``.
``custom_object_scope({...})`` makes objects visible to loading for the duration of a ``with`` block.
"""
from kerastorch.registry import (CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
                                 get_registered_object, register_keras_serializable)

__all__ = ["CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
           "get_registered_object", "register_keras_serializable"]
