// The CNN (a) of examples/, benchmarked as written there.
#include "../../examples/fashion_mnist_cnn.cpp"
