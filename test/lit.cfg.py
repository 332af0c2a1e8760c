# lit configuration for kiln's tests: .mlir files drive kiln-opt, .cpp DSL
# files and .test scripts drive kiln and the model binaries it builds.
import os
import shutil
import subprocess

import lit.formats

config.name = "kiln"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".cpp", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py",
                   "unit", "gradcheck", "helpers", "lib", "README.md"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.kiln_obj_root, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.kiln_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
# Tests must not depend on the terminal or locale.
config.environment["LC_ALL"] = "C"

config.substitutions.append(("%kiln-opt", os.path.join(config.kiln_tools_dir, "kiln-opt")))
config.substitutions.append(("%kiln-eval", os.path.join(config.kiln_tools_dir, "kiln-eval")))
config.substitutions.append(("%kiln", os.path.join(config.kiln_tools_dir, "kiln")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%helpers", os.path.join(config.test_source_root, "helpers")))
config.substitutions.append(("%examples", os.path.join(config.kiln_src_root, "examples")))
config.substitutions.append(("%bench", os.path.join(config.kiln_src_root, "bench")))
# The stand-in NVIDIA driver (test/helpers/fake_cuda.cpp): put it first in
# LD_LIBRARY_PATH to run a CUDA build's host side without a GPU.
config.substitutions.append(("%fake_cuda_dir", os.path.join(config.kiln_obj_root, "test", "fake_cuda")))
config.substitutions.append(("%scripts", os.path.join(config.kiln_src_root, "scripts")))
# valgrind checks, where valgrind is installed and the build is not
# sanitized (valgrind cannot run ASan binaries).
import shutil
if shutil.which("valgrind") and not getattr(config, "kiln_sanitize", ""):
    config.available_features.add("valgrind")
# Golden Halide output must not depend on the CPU running the tests.
config.substitutions.append(("%pinned_target", "x86-64-linux-avx2-fma-f16c-sse41"))

config.available_features.add("mlir" + config.llvm_version_major)

# glibc's dynamic loader can log symbol bindings (for the toolchain test).
if os.path.exists("/lib64/ld-linux-x86-64.so.2"):
    config.available_features.add("ld-debug")

# Real data sets installed by Debian packages.
sklearn_data = "/usr/lib/python3/dist-packages/sklearn/datasets/data"
if os.path.exists(os.path.join(sklearn_data, "breast_cancer.csv")):
    config.available_features.add("sklearn-data")
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")
# OpenCL through PoCL runs the GPU schedules on this CPU (test/gpu): the
# runtime opens libOpenCL.so.1 (ocl-icd-libopencl1), which needs an ICD.
if (any(os.path.exists(os.path.join(d, "libOpenCL.so.1"))
        for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"))
        and os.path.isdir("/etc/OpenCL/vendors") and os.listdir("/etc/OpenCL/vendors")):
    config.available_features.add("opencl")
# NVIDIA's ptxas (CUDA toolkit; not a Debian 12 package, so never in CI)
# assembles the PTX as a GPU's driver would (test/gpu/ptxas.test).
ptxas = shutil.which("ptxas") or next(
    (p for p in ("/usr/local/cuda/bin/ptxas",) if os.access(p, os.X_OK)), None)
if ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))
if shutil.which("gnuplot"):
    config.available_features.add("gnuplot")
try:
    subprocess.check_call([config.python_executable, "-c", "import numpy"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config.available_features.add("numpy")
except (OSError, subprocess.CalledProcessError):
    pass
