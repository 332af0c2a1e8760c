//===- plan_memory.cpp - buffer slots and in-place updates ----------------===//
//
// After --kiln-fuse a step function is a sequence of kern.kernel ops. Each
// kernel result needs memory only from the kernel that writes it to the
// last kernel that reads it (or to the end of the step when the function
// returns it). This pass
//  - writes a parameter's (or optimizer state's) update into the old
//    tensor's buffer when nothing reads the old value afterwards and the
//    kernel reads it only at the index it writes (`inplace`);
//  - packs the other results into numbered slots of one arena, a slot
//    reused once its previous value is dead (`slots`; -1: a buffer of its
//    own, for updates the runtime swaps in).
// So a step allocates nothing and copies no parameters.
//
// In place needs matching types, no later kernel reading the old value, the
// function not returning it, the kernel reading it only through same-shape
// elementwise ops (at the index it writes), and no other result of the
// kernel taking the same argument. `auto:` kernels never write in place:
// only kiln's schedule orders each read before the store (the in-place
// wrappers of compiler/halide/build_kernel.cpp). A slot is chosen best fit
// among the free ones (the smallest that holds the result, else the largest
// one, grown, else a new one), by size at `batch=` (default 128); the
// runtime sizes the slots for the real batch. In-place results and updates
// not written in place get slot -1. memoryStats (passes.h, kiln build
// --stats) measures a planned function. A loop (nn.scan) keeps its operands
// live until it ends; its results and the kernels of its body get buffers
// of their own.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_PLANMEMORY
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

/// Ops whose result element i reads only element i of each same-shape
/// operand (others broadcast).
bool isElementwise(Operation *op) {
  return isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaximumOp, MinimumOp, CompareOp,
             SelectOp, CastOp, NegOp, ExpOp, LogOp, SigmoidOp, SqrtOp, AbsOp,
             SignOp, SinOp, CosOp, ReluOp, BinaryCrossEntropyGradOp>(op);
}

/// Whether everything a kernel computes from block argument `arg` reads it
/// at the index it writes: then an output may overwrite it in place.
bool readsOnlyInPlace(BlockArgument arg) {
  auto shape = cast<RankedTensorType>(arg.getType()).getShape();
  SmallVector<Value> work{arg};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (Operation *user : v.getUsers()) {
      if (isa<kiln::kern::YieldOp>(user))
        continue;
      if (!isElementwise(user) ||
          cast<RankedTensorType>(user->getResult(0).getType()).getShape() !=
              shape)
        return false;
      work.push_back(user->getResult(0));
    }
  }
  return true;
}

/// Values of one function, in kernel order, with their live ranges.
struct Liveness {
  SmallVector<kiln::kern::KernelOp> kernels;
  llvm::DenseMap<Operation *, int> position;

  explicit Liveness(Block &body) {
    for (Operation &op : body) {
      if (auto k = dyn_cast<kiln::kern::KernelOp>(op))
        kernels.push_back(k);
      // A loop reads its operands through all its steps: it holds a
      // position like a kernel, so they stay live until it ends.
      if (isa<kiln::kern::KernelOp, ScanOp>(op))
        position[&op] = count++;
    }
  }
  int count = 0;
  int end() const { return count; }
  /// The last kernel reading `v`; end() when the function returns it; -1
  /// when nothing reads it.
  int lastUse(Value v) const {
    int last = -1;
    for (Operation *user : v.getUsers()) {
      if (isa<func::ReturnOp>(user))
        return end();
      if (auto it = position.find(user); it != position.end())
        last = std::max(last, it->second);
    }
    return last;
  }
};

struct Slot {
  int64_t bytes = 0;
  int busyUntil = -1; // last kernel reading its current value
};

LogicalResult planFunction(func::FuncOp fn, int64_t batch) {
  Block &body = fn.getBody().front();
  for (Operation &op : body)
    if (!isa<kiln::kern::KernelOp, ScanOp, func::ReturnOp, ConstantOp>(op))
      return op.emitError() << "kiln-plan-memory: '" << op.getName()
                            << "' outside a kern.kernel (run --kiln-fuse "
                               "first)";
  Liveness live(body);
  if (live.kernels.empty())
    return success();
  auto ret = cast<func::ReturnOp>(body.getTerminator());

  // Which argument each returned update replaces.
  llvm::StringMap<unsigned> persistent;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    for (StringRef key : {"nn.param", "nn.state"})
      if (auto name = fn.getArgAttrOfType<StringAttr>(i, key))
        persistent[name.getValue()] = i;
  llvm::DenseMap<Value, int> updateOf; // result value -> argument, or -1
  for (auto [i, v] : llvm::enumerate(ret.getOperands()))
    if (auto name = fn.getResultAttrOfType<StringAttr>(i, "nn.update")) {
      auto it = persistent.find(name.getValue());
      updateOf[v] = it == persistent.end() ? -1 : it->second;
    }

  std::vector<Slot> slots;
  for (kiln::kern::KernelOp k : live.kernels) {
    int at = live.position[k];
    SmallVector<int64_t> slotOf, inplaceOf;
    for (Value r : k.getResults()) {
      // In place: the old value is dead after this kernel, which reads it
      // (if at all) only where it writes the new one.
      int target = -1;
      if (auto it = updateOf.find(r);
          it != updateOf.end() && it->second >= 0 &&
          k.getSchedule() != kiln::kern::Schedule::autoschedule) {
        Value old = fn.getArgument(it->second);
        bool ok = old.getType() == r.getType() && live.lastUse(old) <= at &&
                  !llvm::is_contained(ret.getOperands(), old);
        for (auto [j, in] : llvm::enumerate(k.getInputs()))
          if (in == old)
            ok &= readsOnlyInPlace(k.getBodyBlock().getArgument(j));
        for (int64_t taken : inplaceOf)
          ok &= taken != it->second;
        if (ok)
          target = it->second;
      }
      inplaceOf.push_back(target);
      // Updates not written in place get a buffer of their own: the
      // runtime swaps it with the parameter's after the step.
      if (target >= 0 || updateOf.count(r)) {
        slotOf.push_back(-1);
        continue;
      }
      // Best fit among the slots free here, else grow the largest free
      // one, else open a new one.
      int64_t bytes = kiln::bytesAtBatch(r.getType(), batch);
      int best = -1;
      for (auto [s, slot] : llvm::enumerate(slots)) {
        if (slot.busyUntil >= at)
          continue;
        bool fits = slot.bytes >= bytes;
        if (best < 0) {
          best = s;
          continue;
        }
        const Slot &b = slots[best];
        bool bestFits = b.bytes >= bytes;
        if ((fits && (!bestFits || slot.bytes < b.bytes)) ||
            (!fits && !bestFits && slot.bytes > b.bytes))
          best = s;
      }
      if (best < 0) {
        best = slots.size();
        slots.emplace_back();
      }
      slots[best].bytes = std::max(slots[best].bytes, bytes);
      // A result nothing reads still occupies its slot while written.
      slots[best].busyUntil = std::max(at, live.lastUse(r));
      slotOf.push_back(best);
    }
    OpBuilder b(k);
    k.setSlotsAttr(b.getDenseI64ArrayAttr(slotOf));
    k.setInplaceAttr(b.getDenseI64ArrayAttr(inplaceOf));
  }
  return success();
}

struct PlanMemoryPass : kiln::impl::PlanMemoryBase<PlanMemoryPass> {
  using PlanMemoryBase::PlanMemoryBase;
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (failed(planFunction(fn, batch)))
        return signalPassFailure();
  }
};

} // namespace

namespace kiln {

int64_t bytesAtBatch(Type tensorType, int64_t batch) {
  auto t = cast<RankedTensorType>(tensorType);
  int64_t n = t.getElementType().isInteger(1) ? 1 : 4;
  for (int64_t d : t.getShape())
    n *= ShapedType::isDynamic(d) ? batch : d;
  return n;
}

FailureOr<MemoryStats> memoryStats(func::FuncOp fn, int64_t batch) {
  MemoryStats s;
  Block &body = fn.getBody().front();
  Liveness live(body);
  s.kernels = live.kernels.size();
  llvm::DenseMap<int64_t, int64_t> slotBytes;
  std::vector<int64_t> liveBytes(live.end() + 1, 0);
  for (kiln::kern::KernelOp k : live.kernels) {
    for (Operation &op : k.getBodyBlock().without_terminator())
      s.ops += !isa<ConstantOp>(op);
    auto slots = k.getSlots();
    auto inplace = k.getInplace();
    if (!slots || !inplace)
      return k.emitError() << "memoryStats: run --kiln-plan-memory first";
    int at = live.position[k];
    for (auto [i, r] : llvm::enumerate(k.getResults())) {
      int64_t bytes = bytesAtBatch(r.getType(), batch);
      s.bytesBefore += bytes;
      if ((*inplace)[i] >= 0) {
        ++s.inPlace;
        continue;
      }
      int64_t slot = (*slots)[i];
      if (slot < 0)
        s.ownBytes += bytes;
      else
        slotBytes[slot] = std::max(slotBytes[slot], bytes);
      for (int p = at; p <= std::max(at, live.lastUse(r)); ++p)
        liveBytes[p] += bytes;
    }
  }
  s.slots = slotBytes.size();
  for (auto &[slot, bytes] : slotBytes)
    s.arenaBytes += (bytes + 63) / 64 * 64;
  for (int64_t b : liveBytes)
    s.peakLiveBytes = std::max(s.peakLiveBytes, b);
  return s;
}

} // namespace kiln
