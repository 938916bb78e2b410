"""Layer configs in Keras 3's serialized form: ``{"module", "class_name", "config", "registered_name"}``."""
from kerastorch._lookup import unknown_name_error


def serialize_layer(layer):
    module = "keras.layers" if type(layer).__module__.startswith("kerastorch.layers") else type(layer).__module__
    return {"module": module, "class_name": type(layer).__name__, "config": layer.get_config(),
            "registered_name": None}


def deserialize_layer(config, custom_objects=None):
    import kerastorch.layers as layers
    import kerastorch.models as models
    class_name = config["class_name"]
    cls = (custom_objects or {}).get(class_name) or getattr(layers, class_name, None) or \
        getattr(models, class_name, None)
    if cls is None:
        raise unknown_name_error("layer class", class_name, [n for n in dir(layers) if n[:1].isupper()])
    return cls.from_config(config["config"])
