//===- executor.cpp - run one step function of the table ------------------===//
//
// Arguments are bound by the caller (the session, by kind and name).
// prepare() runs on the first step and whenever the batch size changes: it
// sizes each arena slot for its largest tensor at that batch, lays the
// slots out in one arena (each 64-byte aligned) and makes the slotted
// tensors views into it; other intermediates own their storage. A kernel
// failure names the kernel, its ops and its DSL line, with Halide's
// message (device.cpp's error handler).
//
// On a GPU the step's arguments that a kernel reads go up first
// (readArgs_, device.cpp's uploadToDevice): a kernel's own copy of the
// labels, the step count or the learning rate came mid-step and waited for
// every kernel queued before it. After the first step a step uploads only
// the batch and the scalars step and lr, downloads only the loss and
// allocates nothing (test/gpu/fake_driver.test). --profile leaves out the
// first run, which sets the device up (127 ms on an H100).
//
//===----------------------------------------------------------------------===//
#include "executor.h"
#include "device.h"
#include "error.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>

namespace kiln::rt {

Executor::Executor(const kiln_function &fn)
    : fn_(fn), args_(fn.num_args, nullptr), argOfTensor_(fn.num_tensors, -1),
      owned_(fn.num_tensors) {
  catchHalideErrors();
  for (int i = 0; i < fn.num_args; ++i)
    argOfTensor_[fn.args[i].tensor] = i;
  std::vector<bool> seen(fn.num_args, false);
  for (int c = 0; c < fn.num_calls; ++c) {
    const kiln_call &call = fn.calls[c];
    for (int i = 0; i < call.num_inputs; ++i)
      if (int a = argOfTensor_[call.inputs[i]]; a >= 0 && !seen[a]) {
        seen[a] = true;
        readArgs_.push_back(a);
      }
    for (int i = 0; i < call.num_outputs; ++i)
      if (int a = argOfTensor_[call.outputs[i]]; a >= 0)
        seen[a] = true;
  }
  for (int t = 0; t < fn.num_tensors; ++t) {
    const kiln_tensor &desc = fn.tensors[t];
    owned_[t].setDtype(static_cast<kiln_dtype>(desc.dtype));
    if (desc.data) { // constants never change: fill once
      owned_[t].reshape(resolveDims(desc.rank, desc.dims, 1));
      std::memcpy(owned_[t].bytes(), desc.data,
                  owned_[t].size() * Tensor::elementSize(owned_[t].dtype()));
    }
  }
}

int Executor::findArg(kiln_binding_kind kind, const std::string &name) const {
  for (int i = 0; i < fn_.num_args; ++i)
    if (fn_.args[i].kind == kind && name == fn_.args[i].name)
      return i;
  return -1;
}

int Executor::findResult(kiln_binding_kind kind,
                         const std::string &name) const {
  for (int i = 0; i < fn_.num_results; ++i)
    if (fn_.results[i].kind == kind && name == fn_.results[i].name)
      return i;
  return -1;
}

void Executor::prepare(int64_t batch) {
  // Tensors of one arena slot are never live at once: they share its
  // storage, sized for the largest at this batch.
  std::vector<int64_t> slotBytes(fn_.num_slots, 0);
  std::vector<std::vector<int64_t>> dims(fn_.num_tensors);
  for (int t = 0; t < fn_.num_tensors; ++t) {
    const kiln_tensor &desc = fn_.tensors[t];
    if (argOfTensor_[t] >= 0 || desc.data)
      continue;
    dims[t] = resolveDims(desc.rank, desc.dims, batch);
    if (desc.slot < 0 || desc.slot >= fn_.num_slots) {
      owned_[t].reshape(dims[t]);
      continue;
    }
    int64_t n = 1;
    for (int64_t d : dims[t])
      n *= d;
    int64_t bytes = std::max<int64_t>(n, 1) *
                    Tensor::elementSize(static_cast<kiln_dtype>(desc.dtype));
    slotBytes[desc.slot] = std::max(slotBytes[desc.slot], bytes);
  }
  std::vector<int64_t> offset(fn_.num_slots, 0);
  int64_t total = 0;
  for (int s = 0; s < fn_.num_slots; ++s) {
    offset[s] = total;
    total += (slotBytes[s] + 63) / 64 * 64; // each slot 64-byte aligned
  }
  arenaBytes_ = total;
  if (!arenaStorage_ || total > arenaCapacity_) {
    int64_t bytes = std::max<int64_t>(total, 64);
    // Zeroed (calloc: fresh pages cost nothing until touched), with 63
    // bytes to spare for the 64-byte alignment of the first slot.
    auto *p = static_cast<uint8_t *>(std::calloc(bytes + 63, 1));
    if (!p)
      throw Error("out of memory allocating the arena of " +
                  std::to_string(bytes) + " bytes for batch " +
                  std::to_string(batch));
    arenaStorage_.reset(p);
    arena_ = p + (64 - reinterpret_cast<uintptr_t>(p) % 64) % 64;
    arenaCapacity_ = bytes;
  }
  for (int t = 0; t < fn_.num_tensors; ++t) {
    const kiln_tensor &desc = fn_.tensors[t];
    if (argOfTensor_[t] < 0 && !desc.data && desc.slot >= 0 &&
        desc.slot < fn_.num_slots)
      owned_[t].view(arena_ + offset[desc.slot], dims[t]);
  }
  preparedBatch_ = batch;
}

Tensor &Executor::slot(int tensorId) {
  int arg = argOfTensor_[tensorId];
  return arg >= 0 ? *args_[arg] : owned_[tensorId];
}

void Executor::run(int64_t batch) {
  if (batch <= 0 || batch > INT32_MAX)
    throw Error("invalid batch size " + std::to_string(batch));
  for (int i = 0; i < fn_.num_args; ++i) {
    const kiln_binding &b = fn_.args[i];
    if (!args_[i])
      throw Error(std::string(fn_.name) + ": argument '" + b.name +
                  "' is not bound");
    const kiln_tensor &desc = fn_.tensors[b.tensor];
    std::vector<int64_t> want = resolveDims(desc.rank, desc.dims, batch);
    if (args_[i]->dims() != want)
      throw Error(std::string(fn_.name) + ": argument '" + b.name +
                  "' has shape " + Tensor::format(args_[i]->dims()) +
                  ", expected " + Tensor::format(want));
    if (args_[i]->dtype() != desc.dtype)
      throw Error(std::string(fn_.name) + ": argument '" + b.name +
                  "' has the wrong element type");
  }
  if (batch != preparedBatch_)
    prepare(batch);
  batch32_ = static_cast<int32_t>(batch);
  // On a GPU, the step's inputs (the batch, the step count, the learning
  // rate) go up first: a kernel's own copy of an input waits for every
  // kernel queued before it, leaving the GPU idle while the rest launch.
  // The first step after setProfile is not timed: it sets the device up
  // (a CUDA context and the kernels' modules: 127 ms on an H100), which
  // would be charged to its first copy or kernel.
  std::vector<double> *profile = profiledRuns_++ > 0 ? profile_ : nullptr;
  auto t0 = profile ? std::chrono::steady_clock::now()
                    : std::chrono::steady_clock::time_point();
  for (int a : readArgs_)
    if (int rc = uploadToDevice(args_[a]->raw())) {
      std::string why = takeHalideError();
      throw Error(std::string(fn_.name) + ": copying argument '" +
                  fn_.args[a].name +
                  "' to the device failed with Halide error " +
                  std::to_string(rc) + (why.empty() ? "" : ": " + why));
    }
  if (profile) {
    profile->resize(fn_.num_calls + 1, 0.0);
    profile->back() +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count();
  }
  runCalls(0, fn_.num_calls, profile);
}

namespace {

/// Copies `from`'s elements into `to` (the same shape and type).
void copyTensor(const Tensor &from, Tensor &to) {
  std::memcpy(to.bytes(), static_cast<const void *>(from.data()),
              from.sizeBytes());
}

/// Copies slice `t` along `axis` between a sequence and one step's tensor
/// (the sequence's shape without that axis): into the step with `toStep`,
/// else from it.
void copySlice(Tensor &seq, int axis, int64_t t, Tensor &step, bool toStep) {
  const std::vector<int64_t> &d = seq.dims();
  int64_t outer = 1, inner = Tensor::elementSize(seq.dtype());
  for (int i = 0; i < axis; ++i)
    outer *= d[i];
  for (size_t i = axis + 1; i < d.size(); ++i)
    inner *= d[i];
  int64_t length = d[axis];
  if (toStep) {
    const auto *src = reinterpret_cast<const uint8_t *>(
        static_cast<const Tensor &>(seq).data());
    uint8_t *dst = step.bytes();
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + o * inner, src + (o * length + t) * inner, inner);
  } else {
    const auto *src = reinterpret_cast<const uint8_t *>(
        static_cast<const Tensor &>(step).data());
    uint8_t *dst = seq.bytes();
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + (o * length + t) * inner, src + o * inner, inner);
  }
}

} // namespace

void Executor::runLoop(int c, std::vector<double> *profile) {
  const kiln_loop &l = *fn_.calls[c].loop;
  // --profile charges the loop's own copies (slices in, outputs and
  // carries back: its overhead per step) to the loop's call.
  using Clock = std::chrono::steady_clock;
  auto t0 = profile ? Clock::now() : Clock::time_point();
  auto charge = [&] {
    if (!profile)
      return;
    auto now = Clock::now();
    (*profile)[c] += std::chrono::duration<double>(now - t0).count();
    t0 = now;
  };
  for (int k = 0; k < l.num_carries; ++k)
    if (l.carry_init[k] != l.carry_in[k])
      copyTensor(slot(l.carry_init[k]), slot(l.carry_in[k]));
  std::vector<Tensor> staged(l.num_carries);
  for (int step = 0; step < l.length; ++step) {
    int64_t t = l.reverse ? l.length - 1 - step : step;
    for (int s = 0; s < l.num_sequences; ++s)
      copySlice(slot(l.seq[s]), l.axis, t, slot(l.seq_slice[s]), true);
    charge();
    runCalls(c + 1, c + 1 + l.num_body, profile);
    if (profile)
      t0 = Clock::now();
    // Step outputs first: one may be the carry this step started from.
    for (int o = 0; o < l.num_outputs; ++o)
      copySlice(slot(l.out_stacked[o]), l.axis, t, slot(l.out_step[o]), false);
    // Staged, as a step may yield one carry's input as another's output.
    for (int k = 0; k < l.num_carries; ++k)
      if (l.carry_out[k] != l.carry_in[k]) {
        const Tensor &from = slot(l.carry_out[k]);
        staged[k].setDtype(from.dtype());
        staged[k].reshape(from.dims());
        copyTensor(from, staged[k]);
      }
    for (int k = 0; k < l.num_carries; ++k)
      if (l.carry_out[k] != l.carry_in[k])
        copyTensor(staged[k], slot(l.carry_in[k]));
  }
  for (int k = 0; k < l.num_carries; ++k)
    if (l.carry_final[k] != l.carry_in[k])
      copyTensor(slot(l.carry_in[k]), slot(l.carry_final[k]));
  charge();
}

void Executor::runCalls(int begin, int end, std::vector<double> *profile) {
  for (int c = begin; c < end; ++c) {
    const kiln_call &call = fn_.calls[c];
    if (call.loop) {
      runLoop(c, profile);
      c += call.loop->num_body;
      continue;
    }
    argv_.clear();
    for (int i = 0; i < call.num_inputs; ++i)
      argv_.push_back(slot(call.inputs[i]).raw());
    argv_.push_back(&batch32_);
    for (int i = 0; i < call.num_outputs; ++i) {
      Tensor &out = slot(call.outputs[i]);
      // The kernel overwrites a pure output whole: what the host wrote
      // there (or read through a writing accessor) need not go up first.
      if (!std::count(call.inputs, call.inputs + call.num_inputs,
                      call.outputs[i]))
        out.discardHost();
      argv_.push_back(out.raw());
    }
    auto t0 = profile ? std::chrono::steady_clock::now()
                      : std::chrono::steady_clock::time_point();
    int rc = call.fn(argv_.data());
    // A GPU kernel's call returns once it is queued: wait for its results.
    for (int i = 0; profile && rc == 0 && i < call.num_outputs; ++i)
      rc = syncDevice(slot(call.outputs[i]).raw());
    if (profile) {
      (*profile)[c] +=
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count();
    }
    if (rc) {
      std::string why = takeHalideError();
      throw Error(std::string(fn_.name) + ": kernel " + call.kernel + " (" +
                  call.op +
                  (call.loc[0] ? std::string(" at ") + call.loc : "") +
                  ") failed with Halide error " + std::to_string(rc) +
                  (why.empty() ? "" : ": " + why));
    }
  }
}

Tensor &Executor::result(int index) { return slot(fn_.results[index].tensor); }

} // namespace kiln::rt
