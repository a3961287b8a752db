//===- LoweringUtils.cpp - shared helpers of the nn lowering --------------===//

#include "LoweringUtils.h"
#include "nngc/Dialect/NN/Transforms/Report.h"
#include "nngc/Runtime/ABI.h"

#include "mlir/IR/BuiltinOps.h"

using namespace mlir;
using namespace nngc;

Value LoweringHelper::i32(int64_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI32Type(),
                                    b.getI32IntegerAttr(v));
}
Value LoweringHelper::i64(int64_t v) {
  return b.create<LLVM::ConstantOp>(loc, b.getI64Type(),
                                    b.getI64IntegerAttr(v));
}
Value LoweringHelper::f64(double v) {
  return b.create<LLVM::ConstantOp>(loc, b.getF64Type(), b.getF64FloatAttr(v));
}
Value LoweringHelper::constant(const ConstArg &arg) {
  switch (arg.kind) {
  case ConstArg::I32:
    return i32(static_cast<int64_t>(arg.value));
  case ConstArg::I64:
    return i64(static_cast<int64_t>(arg.value));
  case ConstArg::F64:
    return f64(arg.value);
  }
  llvm_unreachable("unknown constant kind");
}
Value LoweringHelper::nullPtr() {
  return b.create<LLVM::ZeroOp>(loc, ptrType());
}

void LoweringHelper::call(StringRef name, ValueRange args) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto func = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
  if (!func) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    SmallVector<Type> types(args.getTypes());
    func = b.create<LLVM::LLVMFuncOp>(
        loc, name,
        LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx()), types));
  }
  b.create<LLVM::CallOp>(loc, func, args);
}

Value LoweringHelper::ptrArray(ValueRange ptrs) {
  auto arrayType = LLVM::LLVMArrayType::get(ptrType(), ptrs.size());
  Value array = b.create<LLVM::AllocaOp>(loc, ptrType(), arrayType, i64(1));
  for (auto [i, p] : llvm::enumerate(ptrs)) {
    Value slot =
        b.create<LLVM::GEPOp>(loc, ptrType(), ptrType(), array,
                              ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    b.create<LLVM::StoreOp>(loc, p, slot);
  }
  return array;
}

/// The address of a private constant global holding `data`.
static Value constantArray(OpBuilder &b, Location loc, Type elementType,
                           DenseElementsAttr data, NNLoweringState &state) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto arrayType = LLVM::LLVMArrayType::get(elementType, data.getNumElements());
  std::string name =
      (elementType.isInteger(64) ? "__nngc_i64s_" : "__nngc_f64s_") +
      std::to_string(state.nextGlobal++);
  LLVM::GlobalOp global;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    global = b.create<LLVM::GlobalOp>(loc, arrayType, /*isConstant=*/true,
                                      LLVM::Linkage::Private, name, data);
  }
  return b.create<LLVM::AddressOfOp>(loc, global);
}

Value LoweringHelper::i64Array(ArrayRef<int64_t> values,
                               NNLoweringState &state) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return constantArray(b, loc, b.getI64Type(),
                       DenseElementsAttr::get(type, values), state);
}

Value LoweringHelper::string(StringRef text, NNLoweringState &state) {
  auto module =
      b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  std::string data = text.str();
  data.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(b.getI8Type(), data.size());
  LLVM::GlobalOp global;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    global = b.create<LLVM::GlobalOp>(
        loc, type, /*isConstant=*/true, LLVM::Linkage::Private,
        "__nngc_str_" + std::to_string(state.nextGlobal++),
        b.getStringAttr(data));
  }
  return b.create<LLVM::AddressOfOp>(loc, global);
}

Value LoweringHelper::f64Array(ArrayRef<double> values,
                               NNLoweringState &state) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getF64Type());
  return constantArray(b, loc, b.getF64Type(),
                       DenseElementsAttr::get(type, values), state);
}

Value nngc::contextArg(Operation *op) {
  return op->getParentOfType<LLVM::LLVMFuncOp>().getArgument(0);
}

std::pair<StringRef, int64_t> nngc::plannedStorage(Operation *op,
                                                   unsigned result) {
  std::optional<nn::Storage> s = nn::readPlannedStorage(op, result);
  assert(s && "op has no memory plan");
  return {s->space, s->offset};
}

std::pair<StringRef, int64_t> nngc::plannedStorage(Value v) {
  return plannedStorage(v.getDefiningOp(), cast<OpResult>(v).getResultNumber());
}

Value nngc::storageOf(OpBuilder &b, Operation *op, unsigned result) {
  auto [space, offset] = plannedStorage(op, result);
  unsigned arg = llvm::StringSwitch<unsigned>(space)
                     .Case("arena", 1)
                     .Case("param", 2)
                     .Case("grad", 3)
                     .Case("state", 4);
  auto func = op->getParentOfType<LLVM::LLVMFuncOp>();
  Value base = func.getArgument(arg);
  auto i8 = b.getI8Type();
  // The LLVM dialect keeps a constant GEP index in a 30-bit signed field
  // (it silently wraps past 2^29: a 512 MiB arena wrote below itself):
  // larger offsets are an i64 value.
  if (offset < (int64_t(1) << 28))
    return b.create<LLVM::GEPOp>(
        op->getLoc(), base.getType(), i8, base,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(offset)});
  Value index = LoweringHelper(b, op->getLoc()).i64(offset);
  return b.create<LLVM::GEPOp>(op->getLoc(), base.getType(), i8, base,
                               ValueRange{index});
}

SmallVector<Value> nngc::storagesOf(OpBuilder &b, Operation *op) {
  SmallVector<Value> results;
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    results.push_back(storageOf(b, op, i));
  return results;
}

int64_t nngc::forwardSlotOf(Operation *op) {
  return op->getAttrOfType<IntegerAttr>("nngc.forward_slot").getInt();
}

bool nngc::isInference(Operation *op) { return op->hasAttr("nngc.inference"); }

int64_t nngc::slotOf(Operation *op) {
  return op->getAttrOfType<IntegerAttr>("nngc.slot").getInt();
}

void nngc::initPrimitiveOnce(OpBuilder &b, Operation *op, StringRef name,
                             ArrayRef<ConstArg> args, NNLoweringState &state) {
  initPrimitiveOnce(b, op, slotOf(op), name, args, state);
}

void nngc::initPrimitiveOnce(OpBuilder &b, Operation *op, int64_t slot,
                             StringRef name, ArrayRef<ConstArg> args,
                             NNLoweringState &state) {
  if (!state.initialisedSlots.insert(slot).second)
    return;
  auto module = op->getParentOfType<ModuleOp>();
  auto setup = module.lookupSymbol<LLVM::LLVMFuncOp>("nngc_setup");
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(setup.getBody().front().getTerminator());
  LoweringHelper h(b, op->getLoc());
  SmallVector<Value> values{setup.getArgument(0), h.i32(slot)};
  for (const ConstArg &arg : args)
    values.push_back(h.constant(arg));
  h.call(name, values);
}

int64_t nngc::numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

int32_t nngc::bf16ProductFlags(Value lhs, Value rhs, Value result) {
  return (nn::storedAsBF16(lhs) ? NNGC_MATMUL_LHS_BF16 : 0) |
         (nn::storedAsBF16(rhs) ? NNGC_MATMUL_RHS_BF16 : 0) |
         (nn::storedAsBF16(result) ? NNGC_MATMUL_RESULT_BF16 : 0);
}

ArrayRef<int64_t> nngc::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}
