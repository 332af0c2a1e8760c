//===- pipeline.cpp - the stages of kiln build ----------------------------===//
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
