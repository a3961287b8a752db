//===- NNDialect.cpp - nn dialect and attributes --------------------------===//

#include "nngc/Dialect/NN/IR/NN.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace nngc;
using namespace nngc::nn;

#include "nngc/Dialect/NN/IR/NNEnums.cpp.inc"
#include "nngc/Dialect/NN/IR/NNOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "nngc/Dialect/NN/IR/NNAttrs.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "nngc/Dialect/NN/IR/NNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "nngc/Dialect/NN/IR/NNAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Optimizer attributes: `<key = value, ...>` with torch.optim's defaults.
//===----------------------------------------------------------------------===//

namespace {
/// One field of an optimizer attribute: a number or a boolean.
struct Field {
  llvm::StringRef name;
  double value;
  bool isBool = false;
  bool isInt = false;
};
} // namespace

/// Parses `<name = value, ...>` into `fields`, whose values hold the
/// defaults; every name must be known and appear at most once. `required`
/// names must appear.
static LogicalResult parseFields(AsmParser &parser,
                                 llvm::MutableArrayRef<Field> fields,
                                 llvm::ArrayRef<llvm::StringRef> required) {
  llvm::StringMap<bool> seen;
  if (parser.parseLess())
    return failure();
  if (succeeded(parser.parseOptionalGreater()))
    goto checkRequired;
  do {
    {
      llvm::SMLoc loc = parser.getCurrentLocation();
      llvm::StringRef key;
      if (parser.parseKeyword(&key) || parser.parseEqual())
        return failure();
      Field *field =
          llvm::find_if(fields, [&](const Field &f) { return f.name == key; });
      if (field == fields.end())
        return parser.emitError(loc, "unknown field '") << key << "'";
      if (!seen.try_emplace(key, true).second)
        return parser.emitError(loc, "field '") << key << "' given twice";
      if (field->isBool) {
        if (succeeded(parser.parseOptionalKeyword("true")))
          field->value = 1;
        else if (succeeded(parser.parseOptionalKeyword("false")))
          field->value = 0;
        else
          return parser.emitError(parser.getCurrentLocation(),
                                  "expected 'true' or 'false' for '")
                 << key << "'";
      } else if (field->isInt) {
        int64_t v;
        if (parser.parseInteger(v))
          return failure();
        field->value = static_cast<double>(v);
      } else if (parser.parseFloat(field->value)) {
        return failure();
      }
    }
  } while (succeeded(parser.parseOptionalComma()));
  if (parser.parseGreater())
    return failure();
checkRequired:
  for (llvm::StringRef name : required)
    if (!seen.count(name))
      return parser.emitError(parser.getNameLoc(), "field '")
             << name << "' is required";
  return success();
}

/// Prints `<name = value, ...>`, leaving out fields equal to their default
/// except those in `always`.
static void printFields(AsmPrinter &printer, llvm::ArrayRef<Field> fields,
                        llvm::ArrayRef<double> defaults,
                        llvm::ArrayRef<llvm::StringRef> always) {
  printer << "<";
  bool first = true;
  for (auto [field, def] : llvm::zip(fields, defaults)) {
    if (field.value == def && !llvm::is_contained(always, field.name))
      continue;
    if (!first)
      printer << ", ";
    first = false;
    printer << field.name << " = ";
    if (field.isBool)
      printer << (field.value != 0 ? "true" : "false");
    else
      printer << formatFloatLiteral(field.value);
  }
  printer << ">";
}

static const double kSGDDefaults[] = {0, 0, 0, 0, 0};

Attribute SGDAttr::parse(AsmParser &parser, Type) {
  Field fields[] = {{"lr", 0},
                    {"momentum", 0},
                    {"dampening", 0},
                    {"weight_decay", 0},
                    {"nesterov", 0, /*isBool=*/true}};
  if (failed(parseFields(parser, fields, {"lr"})))
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), APFloat(fields[0].value),
                    APFloat(fields[1].value), APFloat(fields[2].value),
                    APFloat(fields[3].value), fields[4].value != 0);
}

void SGDAttr::print(AsmPrinter &printer) const {
  Field fields[] = {{"lr", getLr().convertToDouble()},
                    {"momentum", getMomentum().convertToDouble()},
                    {"dampening", getDampening().convertToDouble()},
                    {"weight_decay", getWeightDecay().convertToDouble()},
                    {"nesterov", getNesterov() ? 1.0 : 0.0, true}};
  printFields(printer, fields, kSGDDefaults, {"lr"});
}

LogicalResult SGDAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                              APFloat lrF, APFloat momentumF,
                              APFloat dampeningF, APFloat weightDecayF,
                              bool nesterov) {
  double lr = lrF.convertToDouble(), momentum = momentumF.convertToDouble();
  double dampening = dampeningF.convertToDouble();
  double weightDecay = weightDecayF.convertToDouble();
  if (!(lr > 0))
    return emitError() << "sgd: lr must be positive, got " << lr;
  if (momentum < 0)
    return emitError() << "sgd: momentum must be non-negative";
  if (weightDecay < 0)
    return emitError() << "sgd: weight_decay must be non-negative";
  if (nesterov && (momentum <= 0 || dampening != 0))
    return emitError()
           << "sgd: nesterov requires a momentum and zero dampening";
  return success();
}

/// Adam and AdamW share their fields; only weight_decay's default differs.
template <typename AttrT>
static Attribute parseAdam(AsmParser &parser, double wdDefault) {
  Field fields[] = {{"lr", 0},
                    {"beta1", 0.9},
                    {"beta2", 0.999},
                    {"eps", 1e-8},
                    {"weight_decay", wdDefault}};
  if (failed(parseFields(parser, fields, {"lr"})))
    return {};
  return AttrT::getChecked(
      [&] { return parser.emitError(parser.getNameLoc()); },
      parser.getContext(), APFloat(fields[0].value), APFloat(fields[1].value),
      APFloat(fields[2].value), APFloat(fields[3].value),
      APFloat(fields[4].value));
}

template <typename AttrT>
static void printAdam(AttrT attr, AsmPrinter &printer, double wdDefault) {
  Field fields[] = {{"lr", attr.getLr().convertToDouble()},
                    {"beta1", attr.getBeta1().convertToDouble()},
                    {"beta2", attr.getBeta2().convertToDouble()},
                    {"eps", attr.getEps().convertToDouble()},
                    {"weight_decay", attr.getWeightDecay().convertToDouble()}};
  double defaults[] = {0, 0.9, 0.999, 1e-8, wdDefault};
  printFields(printer, fields, defaults, {"lr"});
}

static LogicalResult verifyAdam(function_ref<InFlightDiagnostic()> emitError,
                                llvm::StringRef name, APFloat lrF,
                                APFloat beta1F, APFloat beta2F, APFloat epsF,
                                APFloat weightDecayF) {
  double lr = lrF.convertToDouble(), beta1 = beta1F.convertToDouble();
  double beta2 = beta2F.convertToDouble(), eps = epsF.convertToDouble();
  double weightDecay = weightDecayF.convertToDouble();
  if (!(lr > 0))
    return emitError() << name << ": lr must be positive, got " << lr;
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1))
    return emitError() << name << ": betas must be in [0, 1)";
  if (eps < 0)
    return emitError() << name << ": eps must be non-negative";
  if (weightDecay < 0)
    return emitError() << name << ": weight_decay must be non-negative";
  return success();
}

Attribute AdamAttr::parse(AsmParser &parser, Type) {
  return parseAdam<AdamAttr>(parser, 0.0);
}
void AdamAttr::print(AsmPrinter &printer) const {
  printAdam(*this, printer, 0.0);
}
LogicalResult AdamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat lr, APFloat beta1, APFloat beta2,
                               APFloat eps, APFloat weightDecay) {
  return verifyAdam(emitError, "adam", lr, beta1, beta2, eps, weightDecay);
}

Attribute AdamWAttr::parse(AsmParser &parser, Type) {
  return parseAdam<AdamWAttr>(parser, 0.01);
}
void AdamWAttr::print(AsmPrinter &printer) const {
  printAdam(*this, printer, 0.01);
}
LogicalResult AdamWAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                APFloat lr, APFloat beta1, APFloat beta2,
                                APFloat eps, APFloat weightDecay) {
  return verifyAdam(emitError, "adamw", lr, beta1, beta2, eps, weightDecay);
}

//===----------------------------------------------------------------------===//
// Learning-rate schedules
//===----------------------------------------------------------------------===//

Attribute WarmupCosineAttr::parse(AsmParser &parser, Type) {
  Field fields[] = {{"warmup", 0, false, true},
                    {"decay_steps", 0, false, true},
                    {"min_lr", 0}};
  if (failed(parseFields(parser, fields, {"decay_steps"})))
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), static_cast<int64_t>(fields[0].value),
                    static_cast<int64_t>(fields[1].value),
                    APFloat(fields[2].value));
}

void WarmupCosineAttr::print(AsmPrinter &printer) const {
  printer << "<warmup = " << getWarmup()
          << ", decay_steps = " << getDecaySteps()
          << ", min_lr = " << formatFloatLiteral(getMinLr().convertToDouble())
          << ">";
}

LogicalResult
WarmupCosineAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t warmup, int64_t decaySteps, APFloat minLr) {
  if (warmup < 0)
    return emitError() << "warmup_cosine: warmup must be non-negative";
  if (decaySteps <= warmup)
    return emitError() << "warmup_cosine: decay_steps (" << decaySteps
                       << ") must exceed warmup (" << warmup << ")";
  if (minLr.convertToDouble() < 0)
    return emitError() << "warmup_cosine: min_lr must be non-negative";
  return success();
}

Attribute StepLRAttr::parse(AsmParser &parser, Type) {
  Field fields[] = {{"warmup", 0, false, true},
                    {"step_size", 0, false, true},
                    {"gamma", 0.1}};
  if (failed(parseFields(parser, fields, {"step_size"})))
    return {};
  return getChecked([&] { return parser.emitError(parser.getNameLoc()); },
                    parser.getContext(), static_cast<int64_t>(fields[0].value),
                    static_cast<int64_t>(fields[1].value),
                    APFloat(fields[2].value));
}

void StepLRAttr::print(AsmPrinter &printer) const {
  printer << "<warmup = " << getWarmup() << ", step_size = " << getStepSize()
          << ", gamma = " << formatFloatLiteral(getGamma().convertToDouble())
          << ">";
}

LogicalResult StepLRAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t warmup, int64_t stepSize,
                                 APFloat gamma) {
  if (warmup < 0)
    return emitError() << "step_lr: warmup must be non-negative";
  if (stepSize < 1)
    return emitError() << "step_lr: step_size must be positive";
  if (!(gamma.convertToDouble() > 0))
    return emitError() << "step_lr: gamma must be positive";
  return success();
}
