//===- tensor.h - host tensors handed to Halide kernels ---------*- C++ -*-===//
#ifndef KILN_RUNTIME_TENSOR_H
#define KILN_RUNTIME_TENSOR_H

#include "HalideRuntime.h"
#include "kiln/model_abi.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::rt {

/// A row-major float tensor with a halide_buffer_t view. Reshaping to a
/// size that fits keeps the storage, so per-step rebinding never allocates.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(const std::vector<int64_t> &dims) { reshape(dims); }
  Tensor(Tensor &&) = default;
  Tensor &operator=(Tensor &&) = default;

  void reshape(const std::vector<int64_t> &dims);
  const std::vector<int64_t> &dims() const { return dims_; }
  int64_t size() const { return size_; }
  float *data() { return data_.get(); }
  const float *data() const { return data_.get(); }
  /// The Halide view, valid until the tensor is reshaped or moved.
  halide_buffer_t *raw();

  /// "?x30" style, for messages.
  static std::string format(const std::vector<int64_t> &dims);

private:
  struct Free {
    void operator()(float *p) const;
  };
  std::vector<int64_t> dims_;
  int64_t size_ = 0, capacity_ = 0;
  std::unique_ptr<float[], Free> data_;
  std::array<halide_dimension_t, KILN_MAX_RANK> hdims_{};
  halide_buffer_t buffer_{};
};

/// The dims of a table tensor with the batch dim bound to `batch`.
std::vector<int64_t> resolveDims(int32_t rank, const int64_t *dims,
                                 int64_t batch);

} // namespace kiln::rt

#endif // KILN_RUNTIME_TENSOR_H
