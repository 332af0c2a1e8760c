//===- tensor.cpp - host tensors handed to Halide kernels -----------------===//
#include "tensor.h"
#include "device.h"
#include "error.h"

#include <cstdlib>
#include <cstring>
#include <limits>

// Weak, so that binaries without Halide's runtime (unit tests) still link;
// only a kernel gives a buffer a device copy, so they exist whenever needed.
#pragma weak halide_copy_to_host
#pragma weak halide_device_free

namespace kiln::rt {

void Tensor::Free::operator()(uint8_t *p) const { std::free(p); }

Tensor::Tensor(Tensor &&other) noexcept { *this = std::move(other); }

Tensor &Tensor::operator=(Tensor &&other) noexcept {
  if (this == &other)
    return *this;
  if (buffer_.device)
    halide_device_free(nullptr, &buffer_);
  dtype_ = other.dtype_;
  dims_ = std::move(other.dims_);
  size_ = other.size_;
  capacityBytes_ = other.capacityBytes_;
  data_ = std::move(other.data_);
  ptr_ = other.ptr_;
  hdims_ = other.hdims_;
  buffer_ = other.buffer_; // the device copy moves along
  // At this object's dims: freeing the device copy reads them (Halide's
  // CUDA runtime sizes a reused allocation by them) before raw() is called.
  buffer_.dim = buffer_.dimensions > 0 ? hdims_.data() : nullptr;
  other.buffer_ = halide_buffer_t{};
  other.ptr_ = nullptr;
  other.size_ = other.capacityBytes_ = 0;
  return *this;
}

Tensor::~Tensor() {
  if (buffer_.device)
    halide_device_free(nullptr, &buffer_);
}

const uint8_t *Tensor::readHost() const {
  if (buffer_.device && (buffer_.flags & halide_buffer_flag_device_dirty)) {
    buffer_.host = ptr_;
    if (int rc = halide_copy_to_host(nullptr, &buffer_)) {
      std::string why = takeHalideError();
      throw Error("copying a tensor from the device failed (Halide error " +
                  std::to_string(rc) + (why.empty() ? "" : ": " + why) + ")");
    }
  }
  return ptr_;
}

uint8_t *Tensor::writeHost() {
  readHost();
  // (Also without a device copy yet: Halide uploads only a dirty host.)
  buffer_.flags |= halide_buffer_flag_host_dirty;
  return ptr_;
}

void Tensor::releaseDevice() {
  if (!buffer_.device)
    return;
  readHost();
  halide_device_free(nullptr, &buffer_);
  buffer_.flags = 0;
}

void Tensor::setDtype(kiln_dtype dtype) {
  releaseDevice(); // (sized and typed for the old element type)
  dtype_ = dtype;
  reshape(dims_);
}

double Tensor::get(int64_t i) const {
  switch (dtype_) {
  case KILN_F32:
    return data()[i];
  case KILN_F64:
    return f64()[i];
  case KILN_I32:
    return i32()[i];
  default:
    return readHost()[i] != 0;
  }
}

void Tensor::reshape(const std::vector<int64_t> &dims) {
  if (dims.size() > KILN_MAX_RANK)
    throw Error("tensor rank " + std::to_string(dims.size()) +
                " exceeds the maximum of " + std::to_string(KILN_MAX_RANK));
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > std::numeric_limits<int32_t>::max())
      throw Error("invalid tensor dimension " + std::to_string(d));
    n *= d;
  }
  int64_t need = std::max<int64_t>(n, 1) * elementSize(dtype_);
  if (!data_ && ptr_)
    throw Error("internal error: reshaping a view of an arena slot");
  if (need > capacityBytes_ || dims != dims_)
    releaseDevice(); // the device copy has the old size
  if (need > capacityBytes_) {
    // 64-byte aligned for full-width vector loads; at least one element so
    // an empty tensor still has a valid host pointer.
    size_t bytes = ((need + 63) / 64) * 64;
    auto *p = static_cast<uint8_t *>(std::aligned_alloc(64, bytes));
    if (!p)
      throw Error("out of memory allocating " + std::to_string(bytes) +
                  " bytes");
    std::memset(p, 0, bytes);
    data_.reset(p);
    ptr_ = p;
    capacityBytes_ = bytes;
  }
  setDims(dims, n);
}

void Tensor::view(uint8_t *bytes, const std::vector<int64_t> &dims) {
  int64_t n = 1;
  for (int64_t d : dims)
    n *= d;
  // An arena slot holds a step's intermediates: nothing to keep, and the
  // old bytes may be gone with a regrown arena.
  if (buffer_.device)
    halide_device_free(nullptr, &buffer_);
  buffer_.flags = 0;
  data_.reset();
  capacityBytes_ = 0;
  ptr_ = bytes;
  setDims(dims, n);
}

void Tensor::setDims(const std::vector<int64_t> &dims, int64_t n) {
  // New or resized storage (its device copy, if any, was released): the
  // host holds the contents. An unchanged shape keeps a device copy and
  // its flags: marking the host newer would upload stale bytes over it.
  if (!buffer_.device)
    buffer_.flags |= halide_buffer_flag_host_dirty;
  dims_ = dims;
  size_ = n;
  int rank = static_cast<int>(dims.size());
  int64_t stride = 1;
  for (int hd = 0; hd < rank; ++hd) { // Halide dim 0 is the innermost
    int64_t d = dims[rank - 1 - hd];
    hdims_[hd] = halide_dimension_t{0, static_cast<int32_t>(d),
                                    static_cast<int32_t>(stride), 0};
    stride *= d;
  }
}

halide_buffer_t *Tensor::raw() {
  // The view is refreshed on each call: the struct points into this
  // object, which may have moved (the trainer swaps updated parameters in).
  // The device copy and the dirty flags stay.
  buffer_.host = ptr_;
  buffer_.type = dtype_ == KILN_F32   ? halide_type_t{halide_type_float, 32, 1}
                 : dtype_ == KILN_F64 ? halide_type_t{halide_type_float, 64, 1}
                 : dtype_ == KILN_I32 ? halide_type_t{halide_type_int, 32, 1}
                                      : halide_type_t{halide_type_uint, 1, 1};
  buffer_.dimensions = static_cast<int32_t>(dims_.size());
  buffer_.dim = dims_.empty() ? nullptr : hdims_.data();
  return &buffer_;
}

std::string Tensor::format(const std::vector<int64_t> &dims) {
  if (dims.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += 'x';
    s += dims[i] == KILN_BATCH_DIM ? "?" : std::to_string(dims[i]);
  }
  return s;
}

std::vector<int64_t> resolveDims(int32_t rank, const int64_t *dims,
                                 int64_t batch) {
  std::vector<int64_t> out(dims, dims + rank);
  for (int64_t &d : out)
    if (d == KILN_BATCH_DIM)
      d = batch;
  return out;
}

} // namespace kiln::rt
