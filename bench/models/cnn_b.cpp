// The CNN (b) of examples/, benchmarked as written there.
#include "../../examples/fashion_mnist_bn_cnn.cpp"
