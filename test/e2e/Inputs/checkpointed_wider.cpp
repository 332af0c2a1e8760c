// checkpointed.cpp with one more hidden unit: the same model name and
// tensors, other shapes (its checkpoint must be refused, naming the tensor).
#define HIDDEN 9
#include "checkpointed.cpp"
