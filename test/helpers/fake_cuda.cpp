// A stand-in for NVIDIA's driver library (built as libcuda.so.1), so that
// the CUDA path of a kiln binary, from the runtime's device probe through
// Halide's CUDA runtime (context, allocations, copies, module loads,
// launches), runs on machines with no GPU (test/gpu/fake_driver.test).
// Device memory is host memory; kernels are checked and counted, not run.
//
// KILN_FAKE_CUDA picks a behaviour: unset or "gpu" (one GPU), "no-device",
// "init-error", "oom" (every allocation fails), "launch-error" (every launch
// fails for want of resources). KILN_FAKE_CUDA_CC is the
// compute capability (default 90, i.e. 9.0). KILN_FAKE_CUDA_LOG names a file
// that gets one line per allocation, copy and launch.
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <string>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

// CUresult values this stand-in returns.
constexpr CUresult kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2,
                   kNoDevice = 100, kInvalidHandle = 400, kNotFound = 500,
                   kLaunchOutOfResources = 701, kNotSupported = 801;

std::string mode() {
  const char *m = std::getenv("KILN_FAKE_CUDA");
  return m ? m : "gpu";
}

int capability() {
  const char *c = std::getenv("KILN_FAKE_CUDA_CC");
  return c ? std::atoi(c) : 90;
}

std::mutex gLogMutex;

void log(const char *format, ...) {
  const char *path = std::getenv("KILN_FAKE_CUDA_LOG");
  if (!path)
    return;
  std::lock_guard<std::mutex> lock(gLogMutex);
  FILE *f = std::fopen(path, "a");
  if (!f)
    return;
  va_list args;
  va_start(args, format);
  std::vfprintf(f, format, args);
  va_end(args);
  std::fputc('\n', f);
  std::fclose(f);
}

int gContext; // the one context's handle: its address
struct Module {
  std::string ptx;
};
struct Function {
  std::string name;
};
// Handles live until the process ends (LeakSanitizer sees them here).
std::mutex gHandleMutex;
std::list<Module> gModules;
std::map<std::pair<void *, std::string>, Function> gFunctions;

} // namespace

extern "C" {

CUresult cuGetErrorName(CUresult error, const char **name) {
  static const std::map<CUresult, const char *> names = {
      {kSuccess, "CUDA_SUCCESS"},
      {kInvalidValue, "CUDA_ERROR_INVALID_VALUE"},
      {kOutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY"},
      {kNoDevice, "CUDA_ERROR_NO_DEVICE"},
      {kInvalidHandle, "CUDA_ERROR_INVALID_HANDLE"},
      {kNotFound, "CUDA_ERROR_NOT_FOUND"},
      {kLaunchOutOfResources, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"},
      {kNotSupported, "CUDA_ERROR_NOT_SUPPORTED"}};
  auto it = names.find(error);
  if (it == names.end())
    return kInvalidValue;
  *name = it->second;
  return kSuccess;
}

CUresult cuInit(unsigned) {
  return mode() == "init-error" ? kNoDevice : kSuccess;
}

CUresult cuDeviceGetCount(int *count) {
  *count = mode() == "no-device" ? 0 : 1;
  return kSuccess;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  if (mode() == "no-device" || ordinal != 0)
    return kInvalidValue;
  *device = 0;
  return kSuccess;
}

CUresult cuDeviceGetName(char *name, int length, int) {
  std::snprintf(name, length, "kiln fake GPU");
  return kSuccess;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int) {
  switch (attribute) {
  case 1: // MAX_THREADS_PER_BLOCK
  case 2: // MAX_BLOCK_DIM_X
  case 3: // MAX_BLOCK_DIM_Y
    *value = 1024;
    return kSuccess;
  case 4: // MAX_BLOCK_DIM_Z
    *value = 64;
    return kSuccess;
  case 5: // MAX_GRID_DIM_X
    *value = 2147483647;
    return kSuccess;
  case 6: // MAX_GRID_DIM_Y
  case 7: // MAX_GRID_DIM_Z
    *value = 65535;
    return kSuccess;
  case 10: // WARP_SIZE
    *value = 32;
    return kSuccess;
  case 16: // MULTIPROCESSOR_COUNT
    *value = 132;
    return kSuccess;
  case 75: // COMPUTE_CAPABILITY_MAJOR
    *value = capability() / 10;
    return kSuccess;
  case 76: // COMPUTE_CAPABILITY_MINOR
    *value = capability() % 10;
    return kSuccess;
  default:
    *value = 0;
    return kSuccess;
  }
}

CUresult cuDeviceTotalMem_v2(size_t *bytes, int) {
  *bytes = size_t(80) << 30;
  return kSuccess;
}

CUresult cuCtxCreate_v2(void **context, unsigned, int) {
  *context = &gContext;
  return kSuccess;
}
CUresult cuCtxDestroy_v2(void *) { return kSuccess; }
CUresult cuCtxGetApiVersion(void *, unsigned *version) {
  *version = 12000;
  return kSuccess;
}
CUresult cuCtxGetDevice(int *device) {
  *device = 0;
  return kSuccess;
}
CUresult cuCtxPushCurrent_v2(void *context) {
  return context == &gContext ? kSuccess : kInvalidHandle;
}
CUresult cuCtxPopCurrent_v2(void **context) {
  if (context)
    *context = &gContext;
  return kSuccess;
}
CUresult cuCtxSynchronize() { return kSuccess; }
CUresult cuStreamSynchronize(void *) { return kSuccess; }
CUresult cuProfilerStop() { return kSuccess; }
CUresult cuPointerGetAttribute(void *, int, CUdeviceptr) {
  return kNotSupported;
}

CUresult cuModuleLoadData(void **module, const void *image) {
  const char *ptx = static_cast<const char *>(image);
  if (!std::strstr(ptx, ".target sm_"))
    return kInvalidValue; // not PTX
  std::lock_guard<std::mutex> lock(gHandleMutex);
  *module = &gModules.emplace_back(Module{ptx});
  log("module");
  return kSuccess;
}
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned, int *,
                            void **) {
  return cuModuleLoadData(module, image);
}
CUresult cuModuleUnload(void *) { return kSuccess; }
CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  // The module must define the entry point the host code asks for.
  std::string entry = std::string(".entry ") + name + "(";
  if (static_cast<Module *>(module)->ptx.find(entry) == std::string::npos)
    return kNotFound;
  std::lock_guard<std::mutex> lock(gHandleMutex);
  *function =
      &gFunctions.try_emplace({module, name}, Function{name}).first->second;
  return kSuccess;
}

// Checks the launch against CUDA's limits (those cuDeviceGetAttribute
// reports); runs nothing.
CUresult cuLaunchKernel(void *function, unsigned gx, unsigned gy, unsigned gz,
                        unsigned bx, unsigned by, unsigned bz, unsigned shared,
                        void *, void **, void **) {
  bool ok = gx >= 1 && gy >= 1 && gz >= 1 && gy <= 65535 && gz <= 65535 &&
            bx >= 1 && by >= 1 && bz >= 1 && bx <= 1024 && by <= 1024 &&
            bz <= 64 && bx * by * bz <= 1024 && shared <= 48 * 1024;
  log("launch %s blocks %u,%u,%u threads %u,%u,%u%s",
      static_cast<Function *>(function)->name.c_str(), gx, gy, gz, bx, by, bz,
      ok ? "" : " INVALID");
  if (mode() == "launch-error")
    return kLaunchOutOfResources;
  return ok ? kSuccess : kInvalidValue;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  if (mode() == "oom")
    return kOutOfMemory;
  void *p = std::calloc(1, bytes);
  if (!p)
    return kOutOfMemory;
  *pointer = reinterpret_cast<CUdeviceptr>(p);
  log("alloc %zu", bytes);
  return kSuccess;
}
CUresult cuMemFree_v2(CUdeviceptr pointer) {
  std::free(reinterpret_cast<void *>(pointer));
  return kSuccess;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr to, const void *from, size_t bytes) {
  std::memcpy(reinterpret_cast<void *>(to), from, bytes);
  log("htod %zu", bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoH_v2(void *to, CUdeviceptr from, size_t bytes) {
  std::memcpy(to, reinterpret_cast<const void *>(from), bytes);
  log("dtoh %zu", bytes);
  return kSuccess;
}
CUresult cuMemcpyDtoD_v2(CUdeviceptr to, CUdeviceptr from, size_t bytes) {
  std::memmove(reinterpret_cast<void *>(to),
               reinterpret_cast<const void *>(from), bytes);
  log("dtod %zu", bytes);
  return kSuccess;
}
CUresult cuMemcpyHtoD(CUdeviceptr to, const void *from, size_t bytes) {
  return cuMemcpyHtoD_v2(to, from, bytes);
}
CUresult cuMemcpyDtoH(void *to, CUdeviceptr from, size_t bytes) {
  return cuMemcpyDtoH_v2(to, from, bytes);
}
CUresult cuMemcpyDtoD(CUdeviceptr to, CUdeviceptr from, size_t bytes) {
  return cuMemcpyDtoD_v2(to, from, bytes);
}
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr to, const void *from, size_t bytes,
                              void *) {
  return cuMemcpyHtoD_v2(to, from, bytes);
}
CUresult cuMemcpyDtoHAsync_v2(void *to, CUdeviceptr from, size_t bytes,
                              void *) {
  return cuMemcpyDtoH_v2(to, from, bytes);
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr to, CUdeviceptr from, size_t bytes,
                              void *) {
  return cuMemcpyDtoD_v2(to, from, bytes);
}
CUresult cuMemcpy3D_v2(const void *) { return kNotSupported; }

} // extern "C"
