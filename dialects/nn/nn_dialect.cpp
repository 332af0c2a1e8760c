//===- nn_dialect.cpp - the nn dialect and its attributes -----------------===//
#include "dialects/nn/nn_dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace kiln::nn;

#include "dialects/nn/nn_dialect.cpp.inc"
#include "dialects/nn/nn_enums.cpp.inc"
#include "dialects/nn/nn_interfaces.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/nn/nn_attrs.cpp.inc"

void NNDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/nn/nn_attrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialects/nn/nn_ops.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  auto elements = llvm::dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// #nn.init<kind, args...>
//===----------------------------------------------------------------------===//

/// Short form of a number for messages ("0.5", "-1", "1e-08").
static std::string num(double v) {
  std::string s;
  llvm::raw_string_ostream(s) << llvm::format("%g", v);
  return s;
}

/// How many numbers each initializer takes after its kind.
static unsigned initArity(InitKind kind) {
  switch (kind) {
  case InitKind::constant:
    return 1;
  case InitKind::uniform:
  case InitKind::normal:
    return 2;
  default:
    return 0;
  }
}

Attribute InitAttr::parse(AsmParser &parser, Type) {
  StringRef keyword;
  SMLoc kwLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<InitKind> kind = symbolizeInitKind(keyword);
  if (!kind) {
    parser.emitError(kwLoc) << "unknown initializer '" << keyword
                            << "' (expected zeros, ones, constant, uniform, "
                               "normal, xavier_uniform, xavier_normal, "
                               "he_uniform or he_normal)";
    return {};
  }
  SmallVector<double> args;
  while (succeeded(parser.parseOptionalComma())) {
    double v;
    if (parser.parseFloat(v))
      return {};
    args.push_back(v);
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<InitAttr>(
      parser.getContext(), *kind,
      DenseF64ArrayAttr::get(parser.getContext(), args));
}

void InitAttr::print(AsmPrinter &printer) const {
  printer << '<' << stringifyInitKind(getKind());
  for (double v : getArgs().asArrayRef())
    printer << ", " << v;
  printer << '>';
}

LogicalResult InitAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               InitKind kind, DenseF64ArrayAttr argsAttr) {
  if (!argsAttr)
    return emitError() << "initializer arguments missing";
  ArrayRef<double> args = argsAttr.asArrayRef();
  unsigned want = initArity(kind);
  if (args.size() != want)
    return emitError() << "initializer '" << stringifyInitKind(kind)
                       << "' takes " << want << " argument(s), got "
                       << args.size();
  if (kind == InitKind::uniform && !(args[0] < args[1]))
    return emitError() << "uniform initializer needs low < high, got ["
                       << num(args[0]) << ", " << num(args[1]) << "]";
  if (kind == InitKind::normal && !(args[1] > 0))
    return emitError() << "normal initializer needs a positive standard "
                          "deviation, got "
                       << num(args[1]);
  return success();
}
