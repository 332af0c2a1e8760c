//===- emit_table.cpp - the step table a model binary runs ----------------===//
//
// Writes kiln_model_desc (runtime/include/kiln/model_abi.h) as C: parameters
// and optimizer state with their initializers, inputs, hyperparameters, the
// optimizer and its learning-rate schedule, and per function its tensors,
// slots, bindings, kernel calls (through Halide's _argv entry points) and
// floating-point operations per call (matmuls 2·M·N·K, other ops one per
// element; `./model info` prints them). The enums are the runtime's.
//
//===----------------------------------------------------------------------===//
#include "compiler/halide/emit_table.h"
#include "dialects/nn/nn_dialect.h"

#include "llvm/Support/Format.h"

using namespace mlir;

namespace kiln::hl {

namespace {

/// A float as a C literal: hex (%a) is exact for every float and always a
/// valid literal ("0f" would not be).
std::string floatLiteral(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%a", v);
  return s;
}

/// A C string literal.
std::string quote(llvm::StringRef s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string dims(ArrayRef<int64_t> shape) {
  std::string s = "{";
  for (auto [i, d] : llvm::enumerate(shape)) {
    if (i)
      s += ", ";
    s += ShapedType::isDynamic(d) ? "KILN_BATCH_DIM" : std::to_string(d);
  }
  if (shape.empty())
    s += "0";
  return s + "}";
}

void emitFunction(const FunctionPlan &f, const ModelPlan &plan,
                  llvm::raw_ostream &os) {
  const std::string p = f.name;
  for (auto [i, t] : llvm::enumerate(f.tensors)) {
    if (!t.isConstant)
      continue;
    const char *ctype = t.dtype == KILN_F32   ? "float"
                        : t.dtype == KILN_F64 ? "double"
                        : t.dtype == KILN_I32 ? "int32_t"
                                              : "uint8_t";
    os << "static const " << ctype << " " << p << "_data" << i << "[] = {";
    for (auto [j, x] : llvm::enumerate(t.data)) {
      os << (j ? ", " : "");
      if (t.dtype == KILN_F32 || t.dtype == KILN_F64)
        os << floatLiteral(x);
      else
        os << static_cast<int64_t>(x);
    }
    os << "};\n";
  }
  os << "static const kiln_tensor " << p << "_tensors[] = {\n";
  for (auto [i, t] : llvm::enumerate(f.tensors))
    os << "  {" << static_cast<int>(t.dtype) << ", " << t.shape.size() << ", "
       << dims(t.shape) << ", "
       << (t.isConstant ? p + "_data" + std::to_string(i) : "0") << ", "
       << t.slot << "},\n";
  os << "};\n";

  auto bindings = [&](const char *what, const std::vector<BindingPlan> &bs) {
    os << "static const kiln_binding " << p << "_" << what << "[] = {\n";
    for (const BindingPlan &b : bs)
      os << "  {" << quote(b.name) << ", " << static_cast<int>(b.kind) << ", "
         << b.tensor << ", " << static_cast<int>(b.metric) << "},\n";
    if (bs.empty())
      os << "  {0, 0, 0, 0},\n";
    os << "};\n";
  };
  bindings("args", f.args);
  bindings("results", f.results);

  auto ids = [&](const char *what, size_t i, ArrayRef<int> list) {
    os << "static const int32_t " << p << "_" << what << i << "[] = {";
    for (auto [j, t] : llvm::enumerate(list))
      os << (j ? ", " : "") << t;
    if (list.empty())
      os << "0";
    os << "};\n";
  };
  for (auto [i, c] : llvm::enumerate(f.calls)) {
    ids("in", i, c.inputs);
    ids("out", i, c.outputs);
    if (!c.loop)
      continue;
    const LoopPlan &l = *c.loop;
    const std::pair<const char *, ArrayRef<int>> lists[] = {
        {"ci", l.carryInit},    {"cin", l.carryIn},      {"cout", l.carryOut},
        {"cfin", l.carryFinal}, {"seq", l.seq},          {"slice", l.seqSlice},
        {"ostep", l.outStep},   {"ostack", l.outStacked}};
    for (auto [what, list] : lists)
      ids(what, i, list);
    std::string q = p + "_";
    std::string n = std::to_string(i);
    os << "static const kiln_loop " << p << "_loop" << i << " = {" << l.length
       << ", " << l.axis << ", " << (l.reverse ? 1 : 0) << ", " << l.numBody
       << ", " << l.carryIn.size() << ", " << q << "ci" << n << ", " << q
       << "cin" << n << ", " << q << "cout" << n << ", " << q << "cfin" << n
       << ", " << l.seq.size() << ", " << q << "seq" << n << ", " << q
       << "slice" << n << ", " << l.outStep.size() << ", " << q << "ostep" << n
       << ", " << q << "ostack" << n << "};\n";
  }
  os << "static const kiln_call " << p << "_calls[] = {\n";
  for (auto [i, c] : llvm::enumerate(f.calls)) {
    if (c.loop) {
      os << "  {0, \"loop\", \"scan\", " << quote(c.loc) << ", 0, " << p
         << "_in" << i << ", 0, " << p << "_out" << i << ", &" << p << "_loop"
         << i << "},\n";
      continue;
    }
    const KernelPlan &k = plan.kernels[c.kernel];
    os << "  {" << k.name << "_argv, " << quote(k.name) << ", " << quote(k.ops)
       << ", " << quote(c.loc) << ", " << c.inputs.size() << ", " << p << "_in"
       << i << ", " << c.outputs.size() << ", " << p << "_out" << i
       << ", 0},\n";
  }
  if (f.calls.empty())
    os << "  {0, 0, 0, 0, 0, 0, 0, 0, 0},\n";
  os << "};\n";
  os << "static const kiln_function " << p << " = {" << quote(p) << ", "
     << f.tensors.size() << ", " << p << "_tensors, " << f.numSlots << ", "
     << f.args.size() << ", " << p << "_args, " << f.results.size() << ", " << p
     << "_results, " << f.calls.size() << ", " << p << "_calls, "
     << llvm::format("%.17g", f.flopsFixed) << ", "
     << llvm::format("%.17g", f.flopsPerSample) << "};\n\n";
}

} // namespace

void emitTable(const ModelPlan &plan, const std::string &target,
               llvm::raw_ostream &os) {
  os << "// Generated by kiln build: the step table of model '" << plan.name
     << "'.\n#include \"kiln/model_abi.h\"\n\n";
  os << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n";
  for (const KernelPlan &k : plan.kernels)
    os << "int " << k.name << "_argv(void **args);\n";
  os << "#ifdef __cplusplus\n}\n#endif\n\n";

  os << "static const kiln_param params[] = {\n";
  for (const ParamPlan &p : plan.params)
    os << "  {" << quote(p.name) << ", " << (p.state ? KILN_STATE : KILN_PARAM)
       << ", " << p.shape.size() << ", " << dims(p.shape) << ", " << p.init
       << ", {" << llvm::format("%.17g", p.initArgs[0]) << ", "
       << llvm::format("%.17g", p.initArgs[1]) << "}, " << quote(p.loc)
       << "},\n";
  if (plan.params.empty())
    os << "  {0, 0, 0, {0}, 0, {0, 0}, 0},\n";
  os << "};\n";
  os << "static const kiln_input inputs[] = {\n";
  for (const InputPlan &in : plan.inputs)
    os << "  {" << quote(in.name) << ", " << static_cast<int>(in.dtype) << ", "
       << in.shape.size() << ", " << dims(in.shape) << ", "
       << (in.label ? 1 : 0) << "},\n";
  if (plan.inputs.empty())
    os << "  {0, 0, 0, {0}, 0},\n";
  os << "};\n";
  os << "static const kiln_hyper hypers[] = {\n";
  for (auto &[name, value] : plan.hypers)
    os << "  {" << quote(name) << ", " << llvm::format("%.17g", value)
       << "},\n";
  if (plan.hypers.empty())
    os << "  {0, 0},\n";
  os << "};\n\n";

  auto find = [&](StringRef name) -> std::string {
    for (const FunctionPlan &f : plan.functions)
      if (f.name == name)
        return "&" + f.name;
    return "0";
  };
  for (const FunctionPlan &f : plan.functions)
    emitFunction(f, plan, os);

  std::string dataset = "0";
  if (const auto &d = plan.dataset) {
    auto floats = [&](const char *name, const std::vector<float> &v) {
      os << "static const float " << name << "[] = {";
      for (auto [i, x] : llvm::enumerate(v))
        os << (i ? ", " : "") << floatLiteral(x);
      os << "};\n";
    };
    floats("dataset_x", d->x);
    floats("dataset_y", d->y);
    os << "static const kiln_dataset dataset = {" << quote(d->name) << ", "
       << d->rows << ", " << d->features << ", " << d->targets
       << ", dataset_x, dataset_y};\n";
    dataset = "&dataset";
  }
  os << "const kiln_model kiln_model_desc = {KILN_ABI_VERSION, "
     << quote(plan.name) << ", " << quote(target) << ", "
     << quote(plan.optimizer) << ", {" << static_cast<int>(plan.schedule)
     << ", " << llvm::format("%.17g", plan.scheduleArgs[0]) << ", "
     << llvm::format("%.17g", plan.scheduleArgs[1]) << "}, "
     << plan.params.size() << ", params, " << plan.inputs.size() << ", inputs, "
     << plan.hypers.size() << ", hypers";
  for (const char *fn : kStepFunctions)
    os << ", " << find(fn);
  os << ", " << find(kGradientF64);
  os << ", " << plan.kernels.size() << ", " << dataset << "};\n";
}

} // namespace kiln::hl
