//===- fuse.cpp - group nn ops into kern.kernel ops -----------------------===//
//
// Greedy producer/consumer fusion over each step function, on groups kept
// in a union-find. A merge is refused when it would make the group graph
// cyclic (a kernel cannot both feed and wait for another). The rules, in
// order:
//  - scalar chains: a 0-d elementwise op joins its 0-d producers;
//  - prologues: an elementwise op with one consumer is inlined into it,
//    except into a matmul or convolution operand, which the K loop would
//    recompute (so a reduction takes its elementwise producers along);
//  - epilogues: an elementwise consumer with the shape of its producer
//    group's anchor (the group's strongest op, kern::templateOf) joins it,
//    unless it already belongs to a matmul, convolution or reduction:
//    bias + ReLU after the forward matmul, the backward ReLU mask (compare +
//    select) after the dX matmul, the SGD or Adam update after the weight
//    gradient's matmul (dW) or the bias gradient's sum_to;
//  - scalar chains that read the same scalar share one kernel (Adam's two
//    bias corrections of the step count);
//  - siblings: independent reductions that read the same tensor share one
//    kernel, so softmax cross-entropy and its gradient read the logits once.
// Groups become kern.kernel ops in a topological order, scheduled by their
// anchor's template; constants are cloned into every kernel that reads
// them. fusion=false (kiln build --no-fusion) gives one kernel per op, for
// comparison. autoschedule=<name> (--schedule=auto:<name>) schedules the
// pointwise and reduction kernels `auto:<name>`; matmul and convolution
// kernels keep kiln's templates. explain=true prints each refused merge. The
// MLP's train_step (bench/models/mlp.cpp) goes from 114 ops to 13 kernels.
//
//===----------------------------------------------------------------------===//
#include "compiler/passes/passes.h"
#include "dialects/kern/kern_dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/EquivalenceClasses.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/Debug.h"

#include <queue>

#define DEBUG_TYPE "kiln-fuse"

using namespace mlir;
using namespace kiln::nn;

namespace kiln {
#define GEN_PASS_DEF_FUSE
#include "compiler/passes/passes.h.inc"
} // namespace kiln

namespace {

// The template an op needs, ranked: matmul > conv > reduction > pointwise
// (kern::templateOf, which the kernel's verifier checks against).
using kiln::kern::Schedule;
using Kind = Schedule;
constexpr Kind kPointwise = Schedule::pointwise,
               kReduction = Schedule::reduction, kConv = Schedule::conv,
               kMatmul = Schedule::matmul;
Kind kindOf(Operation *op) { return kiln::kern::templateOf(op); }

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

bool isScalar(Value v) { return shapeOf(v).empty(); }

/// Groups of ops under construction.
class Grouping {
public:
  explicit Grouping(Block &body, bool explain) : explain_(explain) {
    for (Operation &op : body) {
      if (op.hasTrait<OpTrait::IsTerminator>() || isa<ConstantOp>(op))
        continue;
      index_[&op] = ops_.size();
      ops_.push_back(&op);
      classes_.insert(&op);
    }
  }

  ArrayRef<Operation *> ops() const { return ops_; }
  bool grouped(Operation *op) const { return index_.count(op); }
  Operation *leader(Operation *op) const { return classes_.getLeaderValue(op); }
  bool sameGroup(Operation *a, Operation *b) const {
    return leader(a) == leader(b);
  }

  /// The group's strongest op (kern::templateOf): a matmul or a convolution,
  /// else a reduction, else any.
  Operation *anchor(Operation *member) const {
    Operation *best = nullptr;
    for (auto it = classes_.findLeader(member); it != classes_.member_end();
         ++it) {
      Operation *op = *it;
      if (!best || kindOf(op) > kindOf(best) ||
          (kindOf(op) == kindOf(best) &&
           index_.lookup(op) < index_.lookup(best)))
        best = op;
    }
    return best;
  }

  /// Merges the groups of a and b unless that makes the group graph cyclic.
  bool merge(Operation *a, Operation *b, StringRef rule) {
    if (sameGroup(a, b))
      return true;
    if (isa<ScanOp>(a) || isa<ScanOp>(b)) {
      refuse(a, b, rule, "a loop stays a loop (its body is fused apart)");
      return false;
    }
    // A cycle appears iff one group reaches the other through a third.
    if (reachesViaOther(a, b) || reachesViaOther(b, a)) {
      refuse(a, b, rule, "the kernel graph would have a cycle");
      return false;
    }
    classes_.unionSets(a, b);
    return true;
  }

  /// Says why `rule` did not merge a's and b's groups (--kiln-fuse=explain,
  /// or -debug-only=kiln-fuse).
  void refuse(Operation *a, Operation *b, StringRef rule,
              const llvm::Twine &why) const {
    auto say = [&](llvm::raw_ostream &os) {
      os << "kiln-fuse: " << rule << ": not merging '" << a->getName()
         << "' (op " << index_.lookup(a) << ", " << a->getLoc() << ") with '"
         << b->getName() << "' (op " << index_.lookup(b) << ", " << b->getLoc()
         << "): " << why << "\n";
    };
    if (explain_)
      say(llvm::errs());
    LLVM_DEBUG(say(llvm::dbgs()));
  }

  /// The ops of `op`'s group, in block order.
  SmallVector<Operation *> members(Operation *op) const {
    SmallVector<Operation *> out;
    for (auto it = classes_.findLeader(op); it != classes_.member_end(); ++it)
      out.push_back(*it);
    llvm::sort(out, [&](Operation *x, Operation *y) {
      return index_.lookup(x) < index_.lookup(y);
    });
    return out;
  }

  /// Groups that read a value of `op`'s group, other than that group.
  SmallVector<Operation *> consumers(Operation *groupOp) const {
    llvm::SetVector<Operation *> out;
    for (Operation *m : members(groupOp))
      for (Operation *user : m->getUsers())
        if (grouped(user) && !sameGroup(user, groupOp))
          out.insert(leader(user));
    return out.takeVector();
  }

private:
  /// Is there a path from a's group to b's group that leaves a's group and
  /// enters b's group through some other group?
  bool reachesViaOther(Operation *a, Operation *b) const {
    Operation *target = leader(b), *start = leader(a);
    llvm::DenseSet<Operation *> seen;
    SmallVector<Operation *> work;
    for (Operation *c : consumers(start))
      if (c != target)
        work.push_back(c);
    while (!work.empty()) {
      Operation *g = work.pop_back_val();
      if (!seen.insert(g).second)
        continue;
      if (g == target)
        return true;
      for (Operation *c : consumers(g))
        work.push_back(c);
    }
    return false;
  }

  std::vector<Operation *> ops_;
  llvm::DenseMap<Operation *, size_t> index_;
  llvm::EquivalenceClasses<Operation *> classes_;
  bool explain_;
};

/// The single op that reads `v`, or null (several users, or a return).
Operation *soleUser(Value v) {
  Operation *user = nullptr;
  for (OpOperand &use : v.getUses()) {
    if (user && use.getOwner() != user)
      return nullptr;
    user = use.getOwner();
  }
  return user && !user->hasTrait<OpTrait::IsTerminator>() ? user : nullptr;
}

void fuseGroups(Grouping &g) {
  ArrayRef<Operation *> ops = g.ops();
  // Scalar chains: every 0-d elementwise op joins its 0-d producers.
  for (Operation *op : ops) {
    if (kindOf(op) != kPointwise || !isScalar(op->getResult(0)))
      continue;
    for (Value x : op->getOperands())
      if (Operation *def = x.getDefiningOp();
          def && g.grouped(def) && kindOf(def) == kPointwise && isScalar(x))
        g.merge(op, def, "scalar chain");
  }
  // Prologue: an elementwise op with one consumer is inlined into it
  // (except into matmul operands, which the K loop would recompute).
  for (Operation *op : llvm::reverse(ops)) {
    if (kindOf(op) != kPointwise)
      continue;
    Operation *user = soleUser(op->getResult(0));
    if (!user || !g.grouped(user))
      continue;
    if (kindOf(user) == kMatmul || kindOf(user) == kConv)
      g.refuse(user, op, "prologue",
               "a matmul or convolution operand would be recomputed in its "
               "K loop");
    else
      g.merge(user, op, "prologue");
  }
  // Epilogue: elementwise consumers of a matmul or reduction that produce
  // its output's shape join it (so does a same-shape elementwise chain).
  for (Operation *op : ops) {
    if (kindOf(op) != kPointwise)
      continue;
    for (Value x : op->getOperands()) {
      Operation *def = x.getDefiningOp();
      if (!def || !g.grouped(def) || g.sameGroup(def, op))
        continue;
      Operation *anchor = g.anchor(def);
      if (shapeOf(anchor->getResult(0)) != shapeOf(op->getResult(0))) {
        g.refuse(def, op, "epilogue",
                 "its result's shape differs from the group's anchor");
        continue;
      }
      if (kindOf(g.anchor(op)) != kPointwise) {
        g.refuse(def, op, "epilogue",
                 "it already belongs to a matmul, convolution or reduction");
        continue;
      }
      g.merge(def, op, "epilogue");
    }
  }
  // Scalar chains reading the same scalars (Adam's bias corrections of one
  // step count) share one kernel.
  for (auto [i, a] : llvm::enumerate(ops))
    for (Operation *b : ops.drop_front(i + 1))
      if (!g.sameGroup(a, b) && kindOf(g.anchor(a)) == kPointwise &&
          kindOf(g.anchor(b)) == kPointwise && isScalar(a->getResult(0)) &&
          isScalar(b->getResult(0)) &&
          llvm::any_of(a->getOperands(), [&](Value v) {
            return !v.getDefiningOp<ConstantOp>() &&
                   llvm::is_contained(b->getOperands(), v);
          }))
        g.merge(a, b, "shared scalars");
  // Siblings: reductions that read the same tensor and do not depend on
  // each other share one pass over it (cross-entropy and its gradient).
  // (Merging is symmetric: each unordered pair once, in block order.)
  for (auto [i, a] : llvm::enumerate(ops)) {
    if (kindOf(g.anchor(a)) != kReduction)
      continue;
    for (Operation *b : ops.drop_front(i + 1)) {
      if (kindOf(g.anchor(b)) != kReduction || g.sameGroup(a, b))
        continue;
      bool share = llvm::any_of(a->getOperands(), [&](Value v) {
        return llvm::is_contained(b->getOperands(), v) && !isScalar(v);
      });
      if (share)
        g.merge(a, b, "siblings");
    }
  }
}

/// The kernel's schedule: its anchor's template, or the autoscheduler for
/// a pointwise or reduction kernel when one was asked for.
Schedule scheduleFor(Operation *anchor, StringRef autoschedule) {
  Schedule t = kindOf(anchor);
  if (!autoschedule.empty() && (t == kPointwise || t == kReduction))
    return Schedule::autoschedule;
  return t;
}

/// Fuses the ops of `body` (a function's, or a loop's step) into kernels.
/// A loop is not fused with anything: it stays in place, its own body
/// fused into the kernels of one step.
LogicalResult fuseBlock(Block &body, bool fusion, StringRef autoschedule,
                        bool explain) {
  Grouping g(body, explain);
  if (fusion)
    fuseGroups(g);

  // Groups in a topological order (Kahn), earliest first member first.
  SmallVector<Operation *> leaders;
  for (Operation *op : g.ops())
    if (g.leader(op) == op)
      leaders.push_back(op);
  llvm::DenseMap<Operation *, unsigned> pending, firstIndex;
  for (auto [i, op] : llvm::enumerate(g.ops()))
    firstIndex.try_emplace(g.leader(op), i);
  llvm::DenseMap<Operation *, SmallVector<Operation *>> out;
  for (Operation *l : leaders) {
    SmallVector<Operation *> next = g.consumers(l);
    out[l] = next;
    for (Operation *c : next)
      ++pending[c];
  }
  auto later = [&](Operation *a, Operation *b) {
    return firstIndex[a] > firstIndex[b];
  };
  std::priority_queue<Operation *, std::vector<Operation *>, decltype(later)>
      ready(later);
  for (Operation *l : leaders)
    if (!pending[l])
      ready.push(l);
  SmallVector<Operation *> order;
  while (!ready.empty()) {
    Operation *l = ready.top();
    ready.pop();
    order.push_back(l);
    for (Operation *c : out[l])
      if (--pending[c] == 0)
        ready.push(c);
  }
  if (order.size() != leaders.size())
    return body.getParentOp()->emitError()
           << "kiln-fuse: the kernel graph has a cycle";

  // Emit the kernels before the return, then drop the original ops.
  Operation *ret = body.getTerminator();
  OpBuilder b(ret);
  IRMapping outside; // original value -> value in the new function body
  for (Operation *leader : order) {
    if (auto scan = dyn_cast<ScanOp>(leader)) {
      auto loop = cast<ScanOp>(b.clone(*scan, outside));
      if (failed(fuseBlock(loop.getBodyBlock(), fusion, autoschedule, explain)))
        return failure();
      continue;
    }
    SmallVector<Operation *> members = g.members(leader);
    llvm::DenseSet<Operation *> inGroup(members.begin(), members.end());
    llvm::SetVector<Value> inputs;
    SmallVector<Value> results;
    for (Operation *m : members) {
      for (Value x : m->getOperands()) {
        Operation *def = x.getDefiningOp();
        if (def && (inGroup.contains(def) || isa<ConstantOp>(def)))
          continue;
        inputs.insert(x);
      }
      for (Value r : m->getResults())
        if (llvm::any_of(r.getUsers(),
                         [&](Operation *u) { return !inGroup.contains(u); }))
          results.push_back(r);
    }
    SmallVector<Value> kernelInputs;
    SmallVector<Type> inputTypes, resultTypes;
    for (Value x : inputs) {
      kernelInputs.push_back(outside.lookupOrDefault(x));
      inputTypes.push_back(x.getType());
    }
    for (Value r : results)
      resultTypes.push_back(r.getType());
    Operation *anchor = g.anchor(leader);
    Schedule schedule = scheduleFor(anchor, autoschedule);
    auto kernel = b.create<kiln::kern::KernelOp>(
        anchor->getLoc(), resultTypes, kernelInputs, schedule,
        schedule == Schedule::autoschedule ? b.getStringAttr(autoschedule)
                                           : StringAttr(),
        nullptr, nullptr);
    Block *kb = new Block();
    kernel.getBody().push_back(kb);
    IRMapping inside;
    for (Value x : inputs)
      inside.map(x, kb->addArgument(x.getType(), x.getLoc()));
    OpBuilder kbuilder = OpBuilder::atBlockEnd(kb);
    for (Operation *m : members) {
      for (Value x : m->getOperands())
        if (auto c = x.getDefiningOp<ConstantOp>(); c && !inside.contains(x))
          inside.map(x, kbuilder.clone(*c)->getResult(0));
      kbuilder.clone(*m, inside);
    }
    SmallVector<Value> yielded;
    for (Value r : results)
      yielded.push_back(inside.lookup(r));
    kbuilder.create<kiln::kern::YieldOp>(anchor->getLoc(), yielded);
    for (auto [r, k] : llvm::zip(results, kernel.getResults()))
      outside.map(r, k);
  }
  for (OpOperand &operand : ret->getOpOperands())
    if (Value v = outside.lookupOrNull(operand.get()))
      operand.set(v);
  // Erase the originals, users first.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
    if (&op != ret && !isa<kiln::kern::KernelOp>(op) && op.use_empty())
      op.erase();
  return success();
}

LogicalResult fuseFunction(func::FuncOp fn, bool fusion, StringRef autoschedule,
                           bool explain) {
  Block &body = fn.getBody().front();
  for (Operation &op : body)
    if (isa<kiln::kern::KernelOp>(op))
      return op.emitError()
             << "function @" << fn.getName() << " is already fused";
  return fuseBlock(body, fusion, autoschedule, explain);
}

struct FusePass : kiln::impl::FuseBase<FusePass> {
  using FuseBase::FuseBase;
  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>())
      if (failed(fuseFunction(fn, fusion, autoschedule, explain)))
        return signalPassFailure();
  }
};

} // namespace
