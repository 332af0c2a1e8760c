//===- host_target.cpp - the Halide target for this CPU -------------------===//
//
// Halide 14 reads AVX512-BF16 as "Sapphire Rapids", and its LLVM 14 then
// targets -mcpu=sapphirerapids, which emits AVX512-FP16 instructions (vmovw).
// AMD Zen 4 has BF16 but not FP16, so such code dies with SIGILL there. The
// host target drops to Cannon Lake's feature set unless the CPU really has
// AVX512-FP16 (CPUID leaf 7, EDX bit 23).
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/host_target.h"

#include <cpuid.h>
#include <cstdlib>

namespace H = Halide;

namespace kiln::hl {

static bool cpuHasAvx512Fp16() {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
    return false;
  return (edx >> 23) & 1;
}

H::Target hostTarget() {
  H::Target t = H::get_host_target();
  if (t.has_feature(H::Target::AVX512_SapphireRapids) && !cpuHasAvx512Fp16())
    t = t.without_feature(H::Target::AVX512_SapphireRapids)
            .with_feature(H::Target::AVX512_Cannonlake);
  return t;
}

H::Target jitTarget() {
  // HL_JIT_TARGET still wins, as in Halide's own
  // get_jit_target_from_environment.
  if (const char *env = std::getenv("HL_JIT_TARGET"); env && *env)
    return H::get_jit_target_from_environment();
  return hostTarget().with_feature(H::Target::JIT);
}

} // namespace kiln::hl
