//===- pipeline.cpp - the stages of kiln build ----------------------------===//
//
// The stages kiln build runs and dumps (--emit, --dump-ir), in order:
//   nn (00-nn)               --kiln-verify-shapes
//   grad (01-grad)           --kiln-autodiff, and --kiln-jvp with --jvp
//   optimizer (02-optimizer) --kiln-optimizer
//   steps (03-steps)         --kiln-outline-steps, canonicalize, cse
//   kern (04-kern)           --kiln-fuse
//   plan (05-plan)           --kiln-plan-memory
// and kiln-opt's `kiln-train-pipeline`, which runs all of them with the
// default options (no jvp).
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace kiln {

void addStagePasses(OpPassManager &pm, Stage stage,
                    const StageOptions &options) {
  switch (stage) {
  case Stage::NN:
    pm.addPass(createVerifyShapes());
    return;
  case Stage::Grad:
    pm.addPass(createAutodiff(AutodiffOptions{{}, options.breakVjp}));
    if (options.jvp) {
      JvpOptions jvp;
      jvp.wrt = options.jvpWrt;
      pm.addPass(createJvp(jvp));
    }
    return;
  case Stage::Optimizer:
    pm.addPass(createOptimizer());
    return;
  case Stage::Steps:
    pm.addPass(createOutlineSteps());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    return;
  case Stage::Kern: {
    FuseOptions fuse;
    fuse.fusion = options.fusion;
    fuse.autoschedule = options.autoschedule;
    pm.addPass(createFuse(fuse));
    return;
  }
  case Stage::Plan:
    pm.addPass(createPlanMemory());
    return;
  }
}

void registerAllPasses() {
  registerKilnPasses();
  registerCanonicalizerPass();
  registerCSEPass();
  PassPipelineRegistration<>(
      "kiln-train-pipeline",
      "verify-shapes, autodiff, optimizer, outline-steps, canonicalize, cse, "
      "fuse, plan-memory",
      [](OpPassManager &pm) {
        for (Stage s : {Stage::NN, Stage::Grad, Stage::Optimizer, Stage::Steps,
                        Stage::Kern, Stage::Plan})
          addStagePasses(pm, s);
      });
}

} // namespace kiln
