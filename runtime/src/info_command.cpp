//===- info_command.cpp - ./model info ------------------------------------===//
#include "command_data.h"
#include "commands.h"
#include "device.h"
#include "error.h"
#include "schedule.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace kiln::rt {

namespace {
std::string shape(int32_t rank, const int64_t *dims) {
  return Tensor::format({dims, dims + rank});
}

} // namespace

int infoCommand(const kiln_model &m, int argc, char **argv) {
  parseArgs(argc, argv, {}, {});
  const char *inits[] = {"zeros",         "ones",       "constant",
                         "uniform",       "normal",     "xavier_uniform",
                         "xavier_normal", "he_uniform", "he_normal"};
  const char *dtypes[] = {"f32", "i32", "i1"};
  std::printf("model:     %s\ntarget:    %s\n", m.name, m.target);
  Device device = probeDevice(m.target);
  std::printf("device:    %s\n",
              device.problem.empty()
                  ? device.description.c_str()
                  : (device.api + ": none usable, " + device.problem).c_str());
  std::printf("optimizer: %s\n", m.optimizer);
  std::printf("lr:        %s\n",
              LrSchedule::fromModel(m.schedule).describe().c_str());
  std::printf("inputs:\n");
  for (int i = 0; i < m.num_inputs; ++i)
    std::printf("  %-12s %-12s %-4s %s\n", m.inputs[i].name,
                shape(m.inputs[i].rank, m.inputs[i].dims).c_str(),
                dtypes[m.inputs[i].dtype],
                m.inputs[i].label ? "label" : "features");
  int64_t total = 0;
  std::printf("parameters:\n");
  for (int i = 0; i < m.num_params; ++i) {
    const kiln_param &p = m.params[i];
    int64_t n = 1;
    for (int d = 0; d < p.rank; ++d)
      n *= p.dims[d];
    if (p.kind == KILN_PARAM)
      total += n;
    if (p.kind == KILN_STATE)
      continue;
    std::printf("  %-12s %-12s %-15s %8lld  %s\n", p.name,
                shape(p.rank, p.dims).c_str(),
                p.init >= 0 && p.init < 9 ? inits[p.init] : "?",
                static_cast<long long>(n), p.loc);
  }
  std::printf("  total %lld\n", static_cast<long long>(total));
  int64_t stateCount = 0;
  for (int i = 0; i < m.num_params; ++i)
    if (m.params[i].kind == KILN_STATE) {
      int64_t n = 1;
      for (int d = 0; d < m.params[i].rank; ++d)
        n *= m.params[i].dims[d];
      stateCount += n;
    }
  if (stateCount)
    std::printf("optimizer state: %lld values\n",
                static_cast<long long>(stateCount));
  std::printf("hyperparameters:\n");
  for (int i = 0; i < m.num_hypers; ++i)
    std::printf("  %-12s %g\n", m.hypers[i].name, m.hypers[i].default_value);
  if (m.dataset)
    std::printf("data:      %s (%lld samples, compiled in)\n", m.dataset->name,
                static_cast<long long>(m.dataset->rows));
  std::printf("functions (%d kernels; FLOPs per call at batch 128):\n",
              m.num_kernels);
  auto scaled = [](double v) {
    char buf[32];
    const char *units[] = {"", "k", "M", "G", "T"};
    int u = 0;
    while (v >= 1000 && u < 4) {
      v /= 1000;
      ++u;
    }
    std::snprintf(buf, sizeof buf, "%.3g %sFLOP", v, units[u]);
    return std::string(buf);
  };
  for (const kiln_function *f : {m.train_step, m.eval_step, m.predict,
                                 m.gradient, m.jvp, m.gradient_f64})
    if (f)
      std::printf("  %-12s %2d kernel calls, %3d tensors, %s (%s per sample)\n",
                  f->name, f->num_calls, f->num_tensors,
                  scaled(f->flops_fixed + 128 * f->flops_per_sample).c_str(),
                  scaled(f->flops_per_sample).c_str());
  return 0;
}

} // namespace kiln::rt
