//===- device.cpp - the GPU a model's kernels run on ----------------------===//
//
// Halide's CUDA and OpenCL runtimes load the driver when the first kernel
// runs. Probing it first gives a message that says what is missing, and
// names the device. The driver APIs are declared here by hand: no CUDA or
// OpenCL headers.
//
// The probe loads the driver the model's target needs (libcuda.so.1,
// libOpenCL.so.1) into the process's global scope, where Halide's runtime
// looks first: it would otherwise dlopen the unversioned names, which only
// development packages install. requireDevice (cli.cpp: train, eval,
// predict, derivatives, grad-check, not their --help) stops with a clear
// error when there is no device, or when the GPU is older than the compute
// capability the PTX was built for. Halide's error handler is replaced
// (its default prints and aborts): a failing kernel or device copy returns
// its error code, and the executor's error carries Halide's message.
//
//===----------------------------------------------------------------------===//
#include "device.h"
#include "error.h"

#include "HalideRuntime.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#pragma weak halide_reuse_device_allocations
#pragma weak halide_set_error_handler
#pragma weak halide_device_sync
#pragma weak halide_copy_to_device

// Halide's GPU runtimes (HalideRuntimeCuda.h, HalideRuntimeOpenCL.h), in a
// model binary only when its kernels use them.
extern "C" const halide_device_interface_t *halide_cuda_device_interface();
extern "C" const halide_device_interface_t *halide_opencl_device_interface();
#pragma weak halide_cuda_device_interface
#pragma weak halide_opencl_device_interface

namespace kiln::rt {

namespace {

// Kernels may fail on the pool's threads: one store, locked.
std::mutex gErrorMutex;
std::string gError;

// The device interface of the model's kernels, once requireDevice() found
// their device; null on a CPU target.
const halide_device_interface_t *gDeviceInterface = nullptr;

void recordHalideError(void *, const char *msg) {
  std::string m = msg ? msg : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == '.'))
    m.pop_back();
  if (m.rfind("Error: ", 0) == 0)
    m.erase(0, 7);
  std::lock_guard<std::mutex> lock(gErrorMutex);
  gError += (gError.empty() ? "" : "; ") + m;
}

bool hasFeature(const std::string &target, const std::string &feature) {
  std::string t = "-" + target + "-";
  return t.find("-" + feature + "-") != std::string::npos;
}

// Global: Halide's runtimes look a driver symbol up in the process before
// they dlopen the unversioned name (libcuda.so, libOpenCL.so), which only
// a driver's development files may install. Opened here, the versioned
// library (all a driver install or a container's GPU mount may give) is
// what the kernels call.
void *openFirst(std::initializer_list<const char *> names) {
  for (const char *n : names)
    if (void *h = dlopen(n, RTLD_LAZY | RTLD_GLOBAL))
      return h;
  return nullptr;
}

Device probeCuda(const std::string &target) {
  Device d{"CUDA", "", ""};
  void *lib = openFirst({"libcuda.so.1", "libcuda.so"});
  if (!lib) {
    d.problem = "no NVIDIA driver (libcuda.so.1 cannot be loaded): run it "
                "on a machine with an NVIDIA GPU and its driver, or rebuild "
                "the model with --target=host";
    return d;
  }
  using Init = int (*)(unsigned);
  using Count = int (*)(int *);
  using Get = int (*)(int *, int);
  using Name = int (*)(char *, int, int);
  using Attr = int (*)(int *, int, int);
  using Mem = int (*)(size_t *, int);
  auto init = reinterpret_cast<Init>(dlsym(lib, "cuInit"));
  auto count = reinterpret_cast<Count>(dlsym(lib, "cuDeviceGetCount"));
  auto get = reinterpret_cast<Get>(dlsym(lib, "cuDeviceGet"));
  auto name = reinterpret_cast<Name>(dlsym(lib, "cuDeviceGetName"));
  auto attr = reinterpret_cast<Attr>(dlsym(lib, "cuDeviceGetAttribute"));
  auto mem = reinterpret_cast<Mem>(dlsym(lib, "cuDeviceTotalMem_v2"));
  using ErrorName = int (*)(int, const char **);
  auto errorName = reinterpret_cast<ErrorName>(dlsym(lib, "cuGetErrorName"));
  // "cuInit: CUDA_ERROR_NO_DEVICE", the driver's name for a failed call.
  auto failed = [&](const char *call, int code) {
    const char *text = nullptr;
    if (!errorName || errorName(code, &text) != 0 || !text)
      return std::string(call) + ": error " + std::to_string(code);
    return std::string(call) + ": " + text;
  };
  if (!init || !count || !get) {
    d.problem = "the NVIDIA driver library lacks cuInit, cuDeviceGetCount or "
                "cuDeviceGet";
    return d;
  }
  int n = 0, dev = 0;
  std::string why;
  if (int e = init(0))
    why = failed("cuInit", e);
  else if (int e = count(&n))
    why = failed("cuDeviceGetCount", e);
  else if (int e = n > 0 ? get(&dev, 0) : 0)
    why = failed("cuDeviceGet", e);
  if (!why.empty() || n == 0) {
    d.problem =
        "the NVIDIA driver is installed but " +
        (why.empty() ? "reports no GPU" : "no GPU is usable (" + why + ")");
    return d;
  }
  char text[256] = "?";
  if (name)
    name(text, sizeof text, dev);
  int major = 0, minor = 0;
  if (attr) {
    attr(&major, 75, dev); // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
    attr(&minor, 76, dev); // ..._MINOR
  }
  size_t bytes = 0;
  if (mem)
    mem(&bytes, dev);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "CUDA, %s (compute capability %d.%d, %.0f GiB), device 0 of %d",
                text, major, minor, bytes / double(1ull << 30), n);
  d.description = buf;
  d.problem = capabilityProblem(target, major, minor);
  if (!d.problem.empty())
    d.problem = std::string(text) + ": " + d.problem;
  return d;
}

Device probeOpenCL() {
  Device d{"OpenCL", "", ""};
  void *lib = openFirst({"libOpenCL.so.1", "libOpenCL.so"});
  if (!lib) {
    d.problem = "no OpenCL library (libOpenCL.so.1 cannot be loaded; on "
                "Debian install ocl-icd-libopencl1 and a driver such as "
                "pocl-opencl-icd)";
    return d;
  }
  using Platforms = int (*)(unsigned, void **, unsigned *);
  using PlatformInfo = int (*)(void *, unsigned, size_t, void *, size_t *);
  using Devices = int (*)(void *, uint64_t, unsigned, void **, unsigned *);
  using DeviceInfo = int (*)(void *, unsigned, size_t, void *, size_t *);
  auto platforms = reinterpret_cast<Platforms>(dlsym(lib, "clGetPlatformIDs"));
  auto platformInfo =
      reinterpret_cast<PlatformInfo>(dlsym(lib, "clGetPlatformInfo"));
  auto devices = reinterpret_cast<Devices>(dlsym(lib, "clGetDeviceIDs"));
  auto deviceInfo = reinterpret_cast<DeviceInfo>(dlsym(lib, "clGetDeviceInfo"));
  void *platform = nullptr, *device = nullptr;
  unsigned n = 0, m = 0;
  if (!platforms || !devices || platforms(1, &platform, &n) != 0 || n == 0 ||
      devices(platform, 0xFFFFFFFFull /*CL_DEVICE_TYPE_ALL*/, 1, &device, &m) !=
          0 ||
      m == 0) {
    d.problem = "no OpenCL platform or device found (is an ICD such as "
                "pocl-opencl-icd installed?)";
    return d;
  }
  char pname[256] = "?", dname[256] = "?";
  if (platformInfo)
    platformInfo(platform, 0x0902 /*CL_PLATFORM_NAME*/, sizeof pname, pname,
                 nullptr);
  if (deviceInfo)
    deviceInfo(device, 0x102B /*CL_DEVICE_NAME*/, sizeof dname, dname, nullptr);
  d.description = std::string("OpenCL, ") + pname + ", " + dname;
  return d;
}

} // namespace

std::string capabilityProblem(const std::string &target, int major, int minor) {
  // Halide's feature names: cuda_capability_86 is 8.6.
  std::string t = "-" + target + "-", key = "-cuda_capability_";
  size_t at = t.find(key);
  if (at == std::string::npos)
    return "";
  int built = std::atoi(t.c_str() + at + key.size());
  if (built <= major * 10 + minor)
    return "";
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "the kernels' PTX needs compute capability %d.%d, the GPU "
                "has %d.%d: rebuild with --target=host-cuda-cuda_capability_"
                "%d%d (or lower)",
                built / 10, built % 10, major, minor, major, minor);
  return buf;
}

Device probeDevice(const std::string &target) {
  if (hasFeature(target, "cuda"))
    return probeCuda(target);
  if (hasFeature(target, "opencl"))
    return probeOpenCL();
  return Device{"", "CPU (the host target)", ""};
}

void requireDevice(const std::string &target) {
  Device d = probeDevice(target);
  if (d.api.empty())
    return;
  if (!d.problem.empty())
    throw Error("this model's kernels were compiled for " + d.api +
                " (target " + target + "), but " + d.problem);
  // Intermediates are allocated per kernel call: keep device memory for
  // reuse instead of freeing and reallocating it every step.
  if (halide_reuse_device_allocations)
    halide_reuse_device_allocations(nullptr, true);
  if (d.api == "CUDA" && halide_cuda_device_interface)
    gDeviceInterface = halide_cuda_device_interface();
  else if (d.api == "OpenCL" && halide_opencl_device_interface)
    gDeviceInterface = halide_opencl_device_interface();
}

int uploadToDevice(halide_buffer_t *buf) {
  if (!gDeviceInterface || !halide_copy_to_device || !buf)
    return 0;
  return halide_copy_to_device(nullptr, buf, gDeviceInterface);
}

bool onDevice() { return gDeviceInterface != nullptr; }

void catchHalideErrors() {
  static std::once_flag once;
  // (Absent from binaries without kernels, e.g. the runtime's own tests.)
  std::call_once(once, [] {
    if (halide_set_error_handler)
      halide_set_error_handler(recordHalideError);
  });
}

int syncDevice(halide_buffer_t *buf) {
  if (!buf || !buf->device_interface || !halide_device_sync)
    return 0;
  return halide_device_sync(nullptr, buf);
}

std::string takeHalideError() {
  std::lock_guard<std::mutex> lock(gErrorMutex);
  std::string m;
  m.swap(gError);
  return m;
}

} // namespace kiln::rt
