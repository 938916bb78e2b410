'''Visualization of the filters of VGG16, via gradient ascent in input space (Keras 2 style).

The program of Keras 2.3's examples/conv_filter_visualization.py, at a small size: `K.gradients` of a filter's
mean activation with respect to the input image, `K.function` to evaluate it, gradient ascent on the image. It
also extracts an intermediate layer's features with `K.function`. Run it with Keras 2 (tf_keras) or unmodified
with `kerastorch run`:

    kerastorch run examples/keras2/conv_filter_visualization.py WEIGHTS.h5 RESULTS.npz

WEIGHTS.h5: weights for VGG16(include_top=False) (weights=None when omitted); RESULTS.npz receives the loss at
every step, the final images and the features, for comparing the two libraries.
'''
from __future__ import print_function

import sys

import numpy as np
from keras import backend as K
from keras.applications import vgg16

weights = sys.argv[1] if len(sys.argv) > 1 else None
results_path = sys.argv[2] if len(sys.argv) > 2 else None

img_width = img_height = 64
layer_name = 'block5_conv1'
epochs = 4
step = 1.


def normalize(x):
    # utility function to normalize a tensor by its L2 norm
    return x / (K.sqrt(K.mean(K.square(x))) + K.epsilon())


def deprocess_image(x):
    # normalize tensor: center on 0., ensure std is 0.25
    x = x - x.mean()
    x /= (x.std() + K.epsilon())
    x *= 0.25
    # clip to [0, 1]
    x += 0.5
    x = np.clip(x, 0, 1)
    # convert to RGB array
    x *= 255
    if K.image_data_format() == 'channels_first':
        x = x.transpose((1, 2, 0))
    return np.clip(x, 0, 255).astype('uint8')


model = vgg16.VGG16(weights=weights, include_top=False, input_shape=(img_width, img_height, 3))
print('Model loaded.')

# this is the placeholder for the input images
input_img = model.input

# get the symbolic outputs of each "key" layer (we gave them unique names).
layer_dict = dict([(layer.name, layer) for layer in model.layers[1:]])

np.random.seed(0)
losses, images = [], []
for filter_index in (0, 7):
    print('Processing filter %d' % filter_index)
    # we build a loss function that maximizes the activation of the nth filter of the layer considered
    layer_output = layer_dict[layer_name].output
    if K.image_data_format() == 'channels_first':
        loss = K.mean(layer_output[:, filter_index, :, :])
    else:
        loss = K.mean(layer_output[:, :, :, filter_index])

    # we compute the gradient of the input picture wrt this loss
    grads = K.gradients(loss, input_img)[0]

    # normalization trick: we normalize the gradient
    grads = normalize(grads)

    # this function returns the loss and grads given the input picture
    iterate = K.function([input_img], [loss, grads])

    # we start from a gray image with some random noise
    if K.image_data_format() == 'channels_first':
        input_img_data = np.random.random((1, 3, img_width, img_height))
    else:
        input_img_data = np.random.random((1, img_width, img_height, 3))
    input_img_data = (input_img_data - 0.5) * 20 + 128

    # we run gradient ascent
    for i in range(epochs):
        loss_value, grads_value = iterate([input_img_data])
        input_img_data += grads_value * step
        print('Current loss value:', loss_value)
        losses.append(loss_value)
    images.append(input_img_data[0])
    print('Filter %d processed' % filter_index)

# feature extraction: the output of an intermediate layer for a batch of images
get_features = K.function([model.input], [model.get_layer('block3_conv3').output])
batch = np.random.random((2, img_width, img_height, 3)) * 255.
features = get_features([batch])[0]
print('Features:', features.shape)

# from an intermediate tensor to a later one
get_block5 = K.function([model.get_layer('block4_pool').output], [model.get_layer('block5_conv1').output])
block4 = K.function([model.input], [model.get_layer('block4_pool').output])([batch])[0]
block5 = get_block5([block4])[0]
print('Block 5:', block5.shape)

tile = deprocess_image(images[0])
print('Tile:', tile.shape, tile.dtype)

if results_path:
    np.savez(results_path, losses=np.array(losses, 'float64'), images=np.array(images, 'float64'),
             features=features, block4=block4, block5=block5, tile=tile)
