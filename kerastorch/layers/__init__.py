"""Keras's layers, each a torch.nn.Module."""
from kerastorch._porting import missing_attribute
from kerastorch.layers.core import Activation, Dense, Input, InputLayer, Lambda, Masking
from kerastorch.layers.layer import InputSpec, Layer
from kerastorch.layers.regularization import Dropout
from kerastorch.layers.reshaping import Flatten, Reshape

from kerastorch.layers.convolutional import (Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D,
                                             Conv3DTranspose, Convolution1D, Convolution1DTranspose, Convolution2D,
                                             Convolution2DTranspose, Convolution3D, Convolution3DTranspose,
                                             DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
                                             SeparableConvolution1D, SeparableConvolution2D)
from kerastorch.layers.normalization import (BatchNormalization, GroupNormalization, LayerNormalization,
                                             UnitNormalization)
from kerastorch.layers.pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool2D,
                                       AvgPool3D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                                       GlobalAveragePooling3D, GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D,
                                       GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D, GlobalMaxPooling1D,
                                       GlobalMaxPooling2D, GlobalMaxPooling3D, MaxPool1D, MaxPool2D, MaxPool3D,
                                       MaxPooling1D, MaxPooling2D, MaxPooling3D)
from kerastorch.layers.regularization import (ActivityRegularization, AlphaDropout, GaussianDropout,
                                              GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D)
from kerastorch.layers.reshaping import (Cropping1D, Cropping2D, Cropping3D, Permute, RepeatVector, UpSampling1D,
                                         UpSampling2D, UpSampling3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D)
from kerastorch.layers.core import TorchModuleWrapper
from kerastorch.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                      average, concatenate, dot, maximum, minimum, multiply, subtract)

# Keras 2's names of the transposed convolutions.
__getattr__ = missing_attribute(__name__, renamed={"Deconvolution2D": "Conv2DTranspose", "Deconv2D": "Conv2DTranspose",
                                                   "Deconvolution3D": "Conv3DTranspose", "Deconv3D": "Conv3DTranspose"})
from kerastorch.layers.augmentation import (CenterCrop, RandomBrightness, RandomContrast, RandomCrop, RandomFlip,
                                            RandomRotation, RandomTranslation, RandomZoom, Rescaling, Resizing)
from kerastorch.layers.activations import ELU, LeakyReLU, ReLU, Softmax
from kerastorch.layers.activations import PReLU
from kerastorch.layers.core import Identity
from kerastorch.layers.embedding import Embedding
from kerastorch.layers.wrappers import TimeDistributed, Wrapper
from kerastorch.layers.recurrent import (GRU, LSTM, RNN, Bidirectional, CuDNNGRU, CuDNNLSTM, GRUCell, LSTMCell,
                                         SimpleRNN, SimpleRNNCell, StackedRNNCells)
from kerastorch.layers.einsum_dense import EinsumDense
from kerastorch.layers.attention import (AdditiveAttention, Attention, GroupedQueryAttention, GroupQueryAttention,
                                         MultiHeadAttention)
from kerastorch.layers.recurrent.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from kerastorch.layers.preprocessing import (CategoryEncoding, Discretization, HashedCrossing, Hashing,
                                             IntegerLookup, Normalization, StringLookup, TextVectorization)
from kerastorch.layers.image_augmentation import (AugMix, AutoContrast, CutMix, Equalization, MixUp, Pipeline,
                                                  RandAugment, RandomColorDegeneration, RandomColorJitter,
                                                  RandomErasing, RandomGaussianBlur, RandomGrayscale, RandomHue,
                                                  RandomInvert, RandomPerspective, RandomPosterization,
                                                  RandomSaturation, RandomSharpness, RandomShear, Solarization)
