//===- device.h - the GPU a model's kernels run on --------------*- C++ -*-===//
#ifndef KILN_RUNTIME_DEVICE_H
#define KILN_RUNTIME_DEVICE_H

#include <string>

struct halide_buffer_t;

namespace kiln::rt {

/// The device of a model's kernels, as Halide's GPU runtime will pick it
/// (CUDA device 0; the first OpenCL platform's first device).
struct Device {
  std::string api;         // "" for a CPU target, else "CUDA" or "OpenCL"
  std::string description; // what `info` prints
  std::string problem;     // why it cannot run, or ""
};

/// Looks for the device that `target` (a Halide target string) needs by
/// loading the driver library the way Halide's runtime will.
Device probeDevice(const std::string &target);

/// Why a CUDA device of compute capability major.minor cannot run PTX built
/// for `target` (its cuda_capability_NN, newer than the device), or "".
std::string capabilityProblem(const std::string &target, int major, int minor);

/// Fails with a clear message when the model's GPU is missing, before any
/// kernel runs; makes Halide's runtime reuse device allocations.
void requireDevice(const std::string &target);

/// Makes Halide's runtime report errors to kiln instead of printing them
/// and aborting the process (its default): a failing kernel or device copy
/// then returns its error code, and takeHalideError() says what happened.
void catchHalideErrors();
/// The messages Halide reported since the last call ("" if none), joined.
std::string takeHalideError();

/// Copies `buf`'s host data to the device requireDevice() opened, when the
/// host copy is newer (allocating the device copy on first use); a no-op
/// on a CPU target, before requireDevice(), or for a current device copy.
/// Kernels do this themselves, lazily; done before a step's first kernel,
/// the copies (synchronous) do not stall a GPU that is already running the
/// step. Returns Halide's error code.
int uploadToDevice(halide_buffer_t *buf);
/// Whether requireDevice() opened a GPU for the kernels.
bool onDevice();

/// Waits until the device has finished writing `buf` (a no-op for a buffer
/// with no device copy). GPU kernels run asynchronously: a kernel's time,
/// as --profile measures it, ends here. Returns Halide's error code.
int syncDevice(halide_buffer_t *buf);

} // namespace kiln::rt

#endif // KILN_RUNTIME_DEVICE_H
