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

/// A row-major tensor (f32, i32 or bool) with a halide_buffer_t view. Reshaping
/// to a size that fits keeps the storage, so per-step rebinding never
/// allocates.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(const std::vector<int64_t> &dims, kiln_dtype dtype = KILN_F32)
      : dtype_(dtype) {
    reshape(dims);
  }
  Tensor(Tensor &&) = default;
  Tensor &operator=(Tensor &&) = default;

  void reshape(const std::vector<int64_t> &dims);
  /// Makes this tensor a view of `bytes` (owned elsewhere, large enough
  /// for `dims`): an arena slot. Drops storage of its own.
  void view(uint8_t *bytes, const std::vector<int64_t> &dims);
  /// Changes the element type (storage is regrown by the next reshape).
  void setDtype(kiln_dtype dtype);
  kiln_dtype dtype() const { return dtype_; }
  const std::vector<int64_t> &dims() const { return dims_; }
  int64_t size() const { return size_; }
  /// Typed views of the storage (f32, i32, bool as one byte).
  float *data() { return reinterpret_cast<float *>(ptr_); }
  const float *data() const { return reinterpret_cast<const float *>(ptr_); }
  int32_t *i32() { return reinterpret_cast<int32_t *>(ptr_); }
  const int32_t *i32() const { return reinterpret_cast<const int32_t *>(ptr_); }
  uint8_t *bytes() { return ptr_; }
  int64_t sizeBytes() const { return size_ * elementSize(dtype_); }
  /// Element `i` as a double, whatever the element type.
  double get(int64_t i) const;
  static size_t elementSize(kiln_dtype dtype) {
    return dtype == KILN_BOOL ? 1 : 4;
  }
  /// The Halide view, valid until the tensor is reshaped or moved.
  halide_buffer_t *raw();

  /// "?x30" style, for messages.
  static std::string format(const std::vector<int64_t> &dims);

private:
  void setDims(const std::vector<int64_t> &dims, int64_t n);
  struct Free {
    void operator()(uint8_t *p) const;
  };
  kiln_dtype dtype_ = KILN_F32;
  std::vector<int64_t> dims_;
  int64_t size_ = 0, capacityBytes_ = 0;
  std::unique_ptr<uint8_t[], Free> data_; // null for a view
  uint8_t *ptr_ = nullptr;                // data_, or the viewed bytes
  std::array<halide_dimension_t, KILN_MAX_RANK> hdims_{};
  halide_buffer_t buffer_{};
};

/// The dims of a table tensor with the batch dim bound to `batch`.
std::vector<int64_t> resolveDims(int32_t rank, const int64_t *dims,
                                 int64_t batch);

} // namespace kiln::rt

#endif // KILN_RUNTIME_TENSOR_H
