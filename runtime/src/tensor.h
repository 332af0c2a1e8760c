//===- tensor.h - host tensors handed to Halide kernels ---------*- C++ -*-===//
//
// 64-byte-aligned row-major storage of f32, i32, f64 (gradient_f64's) or
// bool (one byte each), or a view of bytes owned elsewhere (an arena slot).
// The Halide view is refreshed on each access, so tensors can move (the
// trainer swaps updated parameters in).
//
// With GPU kernels the buffer also has a device copy, which Halide's
// runtime allocates and fills on a kernel's first use and keeps across
// calls, with its dirty flags: parameters, optimizer state and activations
// stay on the device between kernels and steps. The host side follows
// lazily: a read through a const accessor first copies a newer device copy
// back; the non-const accessors are for writing, and mark the host copy as
// the newer one (the next kernel uploads it). The executor drops the host
// copy of a kernel's pure outputs before the call (discardHost): the kernel
// overwrites them, so a host read of the loss costs no upload.
//
//===----------------------------------------------------------------------===//
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

/// A row-major tensor (f32, i32, bool, or f64 for grad-check) with a
/// halide_buffer_t view. Reshaping to a size that fits keeps the storage, so
/// per-step rebinding never allocates. Host and device copies: see the file
/// comment.
class Tensor {
public:
  Tensor() = default;
  explicit Tensor(const std::vector<int64_t> &dims, kiln_dtype dtype = KILN_F32)
      : dtype_(dtype) {
    reshape(dims);
  }
  Tensor(Tensor &&other) noexcept;
  Tensor &operator=(Tensor &&other) noexcept;
  ~Tensor();

  void reshape(const std::vector<int64_t> &dims);
  /// Makes this tensor a view of `bytes` (owned elsewhere, large enough
  /// for `dims`): an arena slot. Drops storage of its own.
  void view(uint8_t *bytes, const std::vector<int64_t> &dims);
  /// Changes the element type (storage is regrown by the next reshape).
  void setDtype(kiln_dtype dtype);
  kiln_dtype dtype() const { return dtype_; }
  const std::vector<int64_t> &dims() const { return dims_; }
  int64_t size() const { return size_; }
  /// Typed views of the storage (f32, i32, f64, bool as one byte): const ones
  /// to read, the others to write (see the file comment).
  float *data() { return reinterpret_cast<float *>(writeHost()); }
  const float *data() const {
    return reinterpret_cast<const float *>(readHost());
  }
  int32_t *i32() { return reinterpret_cast<int32_t *>(writeHost()); }
  const int32_t *i32() const {
    return reinterpret_cast<const int32_t *>(readHost());
  }
  double *f64() { return reinterpret_cast<double *>(writeHost()); }
  const double *f64() const {
    return reinterpret_cast<const double *>(readHost());
  }
  uint8_t *bytes() { return writeHost(); }
  int64_t sizeBytes() const { return size_ * elementSize(dtype_); }
  /// Element `i` as a double, whatever the element type.
  double get(int64_t i) const;
  static size_t elementSize(kiln_dtype dtype) {
    return dtype == KILN_BOOL ? 1 : dtype == KILN_F64 ? 8 : 4;
  }
  /// The Halide view, valid until the tensor is reshaped or moved. Kernels
  /// may move its contents to the device.
  halide_buffer_t *raw();
  /// Marks the contents stale before a kernel overwrites all of them: a
  /// host copy written since the last kernel need not go up first.
  void discardHost() {
    buffer_.flags &= ~uint64_t(halide_buffer_flag_host_dirty);
  }

  /// "?x30" style, for messages.
  static std::string format(const std::vector<int64_t> &dims);

  /// Deleter of bytes from malloc/calloc/aligned_alloc.
  struct Free {
    void operator()(uint8_t *p) const;
  };

private:
  void setDims(const std::vector<int64_t> &dims, int64_t n);
  /// The host bytes, current (copied back from the device if newer).
  const uint8_t *readHost() const;
  /// The host bytes, current and marked newer than the device copy.
  uint8_t *writeHost();
  /// Drops the device copy (the host one made current first).
  void releaseDevice();
  kiln_dtype dtype_ = KILN_F32;
  std::vector<int64_t> dims_;
  int64_t size_ = 0, capacityBytes_ = 0;
  std::unique_ptr<uint8_t[], Free> data_; // null for a view
  uint8_t *ptr_ = nullptr;                // data_, or the viewed bytes
  std::array<halide_dimension_t, KILN_MAX_RANK> hdims_{};
  // Persistent: it carries the device copy and the dirty flags. (Mutable:
  // a const read may copy the device contents back.)
  mutable halide_buffer_t buffer_{};
};

/// The dims of a table tensor with the batch dim bound to `batch`.
std::vector<int64_t> resolveDims(int32_t rank, const int64_t *dims,
                                 int64_t batch);

} // namespace kiln::rt

#endif // KILN_RUNTIME_TENSOR_H
