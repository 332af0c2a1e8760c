//===- session.cpp - a model's state, fed with batches --------------------===//
//
// ModelState checks the table's ABI version, holds the parameters and
// optimizer state and initialises them from their initializers, each tensor
// from its own RNG stream of the seed. Session feeds rows (the gather split
// over the pool for batches of 2^16 feature values or more; i32 class labels
// checked first) and binds each step function's executor once: parameters
// and state by name, the feature and label batches, the hyperparameters.
//
//===----------------------------------------------------------------------===//
#include "session.h"
#include "error.h"
#include "rng.h"
#include "thread_pool.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

namespace kiln::rt {

//===----------------------------------------------------------------------===//
// ModelState
//===----------------------------------------------------------------------===//

ModelState::ModelState(const kiln_model &d) : desc(d) {
  // The table and the runtime are linked together by kiln build; a
  // mismatch means objects of two kiln versions were mixed.
  if (desc.abi_version != KILN_ABI_VERSION)
    throw Error("model table '" + std::string(desc.name ? desc.name : "?") +
                "' has ABI version " + std::to_string(desc.abi_version) +
                " but this runtime reads version " +
                std::to_string(KILN_ABI_VERSION) +
                ": rebuild the model with the same kiln as its runtime");
  for (int i = 0; i < desc.num_params; ++i)
    params.emplace_back(
        resolveDims(desc.params[i].rank, desc.params[i].dims, 1));
  for (int i = 0; i < desc.num_hypers; ++i) {
    hypers.emplace_back(std::vector<int64_t>{});
    hypers.back().data()[0] = static_cast<float>(desc.hypers[i].default_value);
  }
  for (int i = 0; i < desc.num_inputs; ++i) {
    int &slot = desc.inputs[i].label ? labelInput : featureInput;
    if (slot >= 0)
      throw Error(std::string("model '") + desc.name + "' has more than one " +
                  (desc.inputs[i].label ? "label" : "feature") +
                  " input; this runtime feeds one of each");
    slot = i;
  }
}

std::pair<double, double> fans(const std::vector<int64_t> &dims) {
  if (dims.empty())
    return {1, 1};
  if (dims.size() == 1)
    return {double(dims[0]), double(dims[0])};
  if (dims.size() == 2)
    return {double(dims[0]), double(dims[1])};
  double field = 1;
  for (size_t i = 2; i < dims.size(); ++i)
    field *= dims[i];
  return {dims[1] * field, dims[0] * field};
}

void ModelState::initialize(uint64_t seed) {
  for (int i = 0; i < desc.num_params; ++i) {
    const kiln_param &p = desc.params[i];
    Tensor &t = params[i];
    Rng rng(seed, /*stream=*/1000 + i);
    auto [fanIn, fanOut] = fans(t.dims());
    auto fill = [&](auto draw) {
      for (int64_t k = 0; k < t.size(); ++k)
        t.data()[k] = static_cast<float>(draw());
    };
    auto uniform = [&](double lo, double hi) {
      fill([&] { return lo + (hi - lo) * rng.uniform(); });
    };
    auto normal = [&](double mean, double sd) {
      fill([&] { return mean + sd * rng.normal(); });
    };
    switch (p.init) {
    case KILN_INIT_ZEROS:
      fill([] { return 0.0; });
      break;
    case KILN_INIT_ONES:
      fill([] { return 1.0; });
      break;
    case KILN_INIT_CONSTANT:
      fill([&] { return p.init_args[0]; });
      break;
    case KILN_INIT_UNIFORM:
      uniform(p.init_args[0], p.init_args[1]);
      break;
    case KILN_INIT_NORMAL:
      normal(p.init_args[0], p.init_args[1]);
      break;
    case KILN_INIT_XAVIER_UNIFORM: {
      double a = std::sqrt(6.0 / (fanIn + fanOut));
      uniform(-a, a);
      break;
    }
    case KILN_INIT_XAVIER_NORMAL:
      normal(0, std::sqrt(2.0 / (fanIn + fanOut)));
      break;
    case KILN_INIT_HE_UNIFORM: {
      double a = std::sqrt(6.0 / fanIn);
      uniform(-a, a);
      break;
    }
    case KILN_INIT_HE_NORMAL:
      normal(0, std::sqrt(2.0 / fanIn));
      break;
    default:
      throw Error(std::string("parameter '") + p.name +
                  "' has an unknown initializer " + std::to_string(p.init));
    }
  }
}

bool ModelState::hasHyper(const std::string &name) const {
  for (int i = 0; i < desc.num_hypers; ++i)
    if (name == desc.hypers[i].name)
      return true;
  return false;
}

double ModelState::hyper(const std::string &name) const {
  for (int i = 0; i < desc.num_hypers; ++i)
    if (name == desc.hypers[i].name)
      return hypers[i].get(0);
  throw Error("model '" + std::string(desc.name) + "' has no hyperparameter '" +
              name + "'");
}

void ModelState::setHyper(const std::string &name, double value) {
  for (int i = 0; i < desc.num_hypers; ++i)
    if (name == desc.hypers[i].name) {
      hypers[i].data()[0] = static_cast<float>(value);
      return;
    }
  throw Error("model '" + std::string(desc.name) + "' has no hyperparameter '" +
              name + "'");
}

int64_t ModelState::parameterCount() const {
  int64_t n = 0;
  for (int i = 0; i < desc.num_params; ++i)
    if (desc.params[i].kind == KILN_PARAM)
      n += params[i].size();
  return n;
}

int ModelState::findParam(const std::string &name) const {
  for (int i = 0; i < desc.num_params; ++i)
    if (name == desc.params[i].name)
      return i;
  return -1;
}

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

Session::Session(ModelState &s) : state(s) {
  if (state.featureInput >= 0)
    x.setDtype(
        static_cast<kiln_dtype>(state.desc.inputs[state.featureInput].dtype));
  if (state.labelInput >= 0)
    y.setDtype(
        static_cast<kiln_dtype>(state.desc.inputs[state.labelInput].dtype));
}

void Session::checkData(const Dataset &data) const {
  checkFeatures(data);
  const kiln_model &d = state.desc;
  if (state.featureInput < 0)
    return;
  if (state.labelInput >= 0) {
    const kiln_input &lab = d.inputs[state.labelInput];
    // A label is [batch, targets], or [batch] for one target per sample.
    bool fits = lab.dims[0] == KILN_BATCH_DIM &&
                ((lab.rank == 2 && lab.dims[1] == data.targets) ||
                 (lab.rank == 1 && data.targets == 1));
    if (!fits)
      throw Error(std::string("model label '") + lab.name + "' has shape " +
                  Tensor::format({lab.dims, lab.dims + lab.rank}) + " but " +
                  data.source + " has " + std::to_string(data.targets) +
                  " target(s) per sample");
    if (lab.dtype == KILN_I32)
      checkClasses(data);
  }
}

void Session::checkClasses(const Dataset &data) const {
  const kiln_model &d = state.desc;
  const char *label = d.inputs[state.labelInput].name;
  // The class count: the last dim of an output scored by accuracy.
  int64_t classes = 0;
  std::string output;
  if (const kiln_function *fn = d.eval_step)
    for (int r = 0; r < fn->num_results; ++r) {
      const kiln_binding &b = fn->results[r];
      const kiln_tensor &t = fn->tensors[b.tensor];
      if (b.kind == KILN_BIND_OUTPUT && b.metric == KILN_METRIC_ACCURACY &&
          t.rank >= 1 && t.dims[t.rank - 1] > 0) {
        classes = t.dims[t.rank - 1];
        output = b.name;
      }
    }
  // Integer labels are class indices: refuse anything else, naming the
  // first bad sample, before a step one-hot encodes it into nonsense.
  for (int64_t i = 0; i < static_cast<int64_t>(data.y.size()); ++i) {
    float v = data.y[i];
    if (v == std::floor(v) && v >= 0 && (classes == 0 || v < classes))
      continue;
    std::string why = classes > 0
                          ? "model '" + std::string(d.name) + "' has " +
                                std::to_string(classes) + " classes (0 to " +
                                std::to_string(classes - 1) + ", its output '" +
                                output + "')"
                          : "model label '" + std::string(label) +
                                "' takes class indices (0, 1, 2, ...)";
    char value[32];
    std::snprintf(value, sizeof value, "%g", v);
    throw Error((data.labelFile.empty() ? data.source : data.labelFile) +
                ": sample " + std::to_string(i / data.targets) +
                " (counting from 0) has label " + value + ", but " + why);
  }
}

void Session::checkFeatures(const Dataset &data) const {
  if (state.featureInput < 0)
    return;
  const kiln_input &in = state.desc.inputs[state.featureInput];
  if (in.rank != 2 || in.dims[0] != KILN_BATCH_DIM)
    throw Error(std::string("feature input '") + in.name + "' has shape " +
                Tensor::format({in.dims, in.dims + in.rank}) +
                "; this runtime feeds [batch, features] tables");
  if (in.dims[1] != data.features)
    throw Error(std::string("model input '") + in.name + "' expects " +
                std::to_string(in.dims[1]) + " features per sample, but " +
                data.source + " has " + std::to_string(data.features));
}

void Session::feed(const Dataset &data, const int64_t *rows, int64_t n,
                   bool labels, const int64_t *next, int64_t nextN) {
  if (state.featureInput >= 0) {
    x.reshape({n, data.features});
    // The gather is memory-bound: split it over the kernels' threads.
    float *dst = x.data();
    // A thread's share of the next batch is the same range of rows (the
    // pool splits a batch of the same size the same way), so each thread
    // prefetches what it will gather itself.
    auto gather = [&](int64_t lo, int64_t hi) {
      data.gather(rows, lo, hi, dst);
      if (next && lo < nextN)
        data.prefetch(next, lo, std::min(hi, nextN));
    };
    if (n * data.features >= (1 << 16))
      ThreadPool::global().parallel(n, gather);
    else
      gather(0, n);
  }
  if (state.labelInput < 0 || !labels)
    return;
  const kiln_input &lab = state.desc.inputs[state.labelInput];
  y.reshape(lab.rank == 1 ? std::vector<int64_t>{n}
                          : std::vector<int64_t>{n, data.targets});
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < data.targets; ++t) {
      float v = data.y[rows[i] * data.targets + t];
      if (y.dtype() == KILN_F32) {
        y.data()[i * data.targets + t] = v;
        continue;
      }
      // (checkClasses made sure this is a class index.)
      y.i32()[i * data.targets + t] = static_cast<int32_t>(v);
    }
}

Executor &Session::executor(const kiln_function &fn) {
  auto &slot = executors_[&fn];
  if (slot)
    return *slot;
  slot = std::make_unique<Executor>(fn);
  for (int i = 0; i < fn.num_args; ++i)
    slot->bindArg(i, &argTensor(fn, fn.args[i]));
  return *slot;
}

Tensor &Session::argTensor(const kiln_function &fn, const kiln_binding &b) {
  const kiln_model &d = state.desc;
  Tensor *t = nullptr;
  if (b.kind == KILN_BIND_PARAM) {
    int p = state.findParam(b.name);
    t = p >= 0 ? &state.params[p] : nullptr;
  } else if (b.kind == KILN_BIND_HYPER) {
    for (int h = 0; h < d.num_hypers; ++h)
      if (!std::strcmp(d.hypers[h].name, b.name))
        t = &state.hypers[h];
  } else if (b.kind == KILN_BIND_INPUT) {
    t = &x;
  } else if (b.kind == KILN_BIND_LABEL) {
    t = &y;
  }
  if (!t)
    throw Error(std::string(fn.name) + ": cannot bind argument '" + b.name +
                "'");
  return *t;
}

int Session::findResult(const kiln_function &fn, kiln_binding_kind kind,
                        const char *name) {
  for (int r = 0; r < fn.num_results; ++r)
    if (fn.results[r].kind == kind &&
        (!name || !std::strcmp(fn.results[r].name, name)))
      return r;
  return -1;
}

} // namespace kiln::rt
