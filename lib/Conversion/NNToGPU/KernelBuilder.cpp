//===- KernelBuilder.cpp - helpers of the GPU kernel patterns -------------===//

#include "KernelBuilder.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <cstdio>

using namespace mlir;
using namespace nngc;

MemRefType nngc::flatMemRef(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  Type element = type.getElementType();
  if (nn::storedAsBF16(v))
    element = BFloat16Type::get(v.getContext());
  return MemRefType::get({type.getNumElements()}, element);
}

ArrayRef<int64_t> nngc::staticShape(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

int64_t nngc::elements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

std::array<int64_t, 3> nngc::aroundAxis(Value v, int64_t axis) {
  ArrayRef<int64_t> shape = staticShape(v);
  auto rank = static_cast<int64_t>(shape.size());
  if (axis < 0)
    axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= shape[d];
  return {outer, shape[axis], inner};
}

std::string nngc::formatDouble(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", v);
  return text;
}

SmallVector<KernelArg, 5> nngc::dropoutArgs(MLIRContext *ctx, double p,
                                            int64_t elements) {
  Type i32 = IntegerType::get(ctx, 32);
  std::string ps = formatDouble(p);
  return {KernelArg::scalar(i32, "dropout_k1"),
          KernelArg::scalar(i32, "dropout_k2"),
          KernelArg::scalar(i32, "dropout_threshold=" + ps),
          KernelArg::scalar(Float32Type::get(ctx), "dropout_scale=" + ps),
          KernelArg::scalar(IntegerType::get(ctx, 64),
                            "dropout_offset=" + std::to_string(elements))};
}

BF16Positions nngc::anyBF16() {
  return [](Operation *, unsigned) { return true; };
}

BF16Positions nngc::bf16At(std::initializer_list<unsigned> positions) {
  SmallVector<unsigned> list(positions);
  return
      [list](Operation *, unsigned p) { return llvm::is_contained(list, p); };
}

int64_t nngc::vectorWidth(int64_t n) {
  for (int64_t w : {4, 2})
    if (n % w == 0)
      return w;
  return 1;
}

KernelArg nngc::validRowsArg(MLIRContext *ctx) {
  return KernelArg::scalar(IntegerType::get(ctx, 64), "valid_rows");
}

KernelBuilder::KernelBuilder(gpu::GPUModuleOp module, Operation *op,
                             StringRef name, ArrayRef<KernelArg> args,
                             unsigned sharedArrays, int64_t sharedElements)
    : builder(module.getContext()), location(op->getLoc()), op(op) {
  SmallVector<Type> types;
  for (const KernelArg &a : args) {
    if (a.bufferElements > 0) {
      types.push_back(MemRefType::get({a.bufferElements},
                                      a.bufferBF16 ? builder.getBF16Type()
                                                   : builder.getF32Type()));
      bindings.push_back(builder.getStringAttr(a.what));
      continue;
    }
    if (!a.tensor) {
      types.push_back(a.scalarType);
      bindings.push_back(builder.getStringAttr(a.what));
      continue;
    }
    MemRefType flat = flatMemRef(a.tensor);
    int64_t elementBytes = flat.getElementTypeBitWidth() / 8;
    if (a.width > 1) {
      assert(
          (flat.getElementType().isF32() || flat.getElementType().isBF16()) &&
          flat.getNumElements() % a.width == 0 && "vectors of floats");
      flat = MemRefType::get({flat.getNumElements() / a.width},
                             VectorType::get({a.width}, flat.getElementType()));
    }
    types.push_back(flat);
    // The tensor as the op's operand, or result, by index.
    int64_t index = -1;
    for (OpOperand &o : op->getOpOperands())
      if (o.get() == a.tensor) {
        index = o.getOperandNumber();
        break;
      }
    if (auto r = dyn_cast<OpResult>(a.tensor);
        index < 0 && r && r.getOwner() == op)
      index = op->getNumOperands() + r.getResultNumber();
    assert(index >= 0 && "a kernel's tensor is its op's operand or result");
    // A tensor read as vectors: [index, the alignment its pointer needs].
    if (a.width > 1)
      bindings.push_back(
          builder.getI64ArrayAttr({index, a.width * elementBytes}));
    else
      bindings.push_back(builder.getI64IntegerAttr(index));
  }
  builder.setInsertionPoint(module.getBody()->getTerminator());
  auto workgroup = gpu::AddressSpaceAttr::get(builder.getContext(),
                                              gpu::AddressSpace::Workgroup);
  SmallVector<Type> shared(
      sharedArrays, MemRefType::get({sharedElements}, builder.getF32Type(),
                                    AffineMap(), workgroup));
  func = builder.create<gpu::GPUFuncOp>(
      location, name, builder.getFunctionType(types, {}), shared);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(),
                builder.getUnitAttr());
  builder.setInsertionPointToStart(&func.getBody().front());
}

void KernelBuilder::finish(int64_t grid, int64_t block) {
  builder.create<gpu::ReturnOp>(location);
  // The launches the op needs, in order (a pattern may build several).
  auto append = [&](StringRef key, Attribute value) {
    SmallVector<Attribute> list;
    if (auto old = op->getAttrOfType<ArrayAttr>(key))
      list.append(old.begin(), old.end());
    list.push_back(value);
    op->setAttr(key, builder.getArrayAttr(list));
  };
  append("nngc.gpu_kernels", SymbolRefAttr::get(func));
  append("nngc.gpu_launch", builder.getDenseI64ArrayAttr({grid, block}));
  append("nngc.gpu_args", builder.getArrayAttr(bindings));
}

int64_t KernelBuilder::gridFor(int64_t n) {
  // A grid-stride loop: at most 4096 blocks (a few waves on any GPU).
  return std::max<int64_t>(
      1, std::min<int64_t>((n + kBlockSize - 1) / kBlockSize, 4096));
}

Value KernelBuilder::index(int64_t v) {
  return builder.create<arith::ConstantIndexOp>(location, v);
}
Value KernelBuilder::f32(double v) {
  return builder.create<arith::ConstantOp>(
      location, builder.getF32FloatAttr(static_cast<float>(v)));
}
Value KernelBuilder::i32(int64_t v) {
  return builder.create<arith::ConstantOp>(location,
                                           builder.getI32IntegerAttr(v));
}
Value KernelBuilder::add(Value a, Value b) {
  if (isa<IndexType>(a.getType()))
    return builder.create<arith::AddIOp>(location, a, b);
  return builder.create<arith::AddFOp>(location, a, b);
}
Value KernelBuilder::sub(Value a, Value b) {
  if (isa<IndexType>(a.getType()))
    return builder.create<arith::SubIOp>(location, a, b);
  return builder.create<arith::SubFOp>(location, a, b);
}
Value KernelBuilder::mul(Value a, Value b) {
  if (isa<IndexType>(a.getType()))
    return builder.create<arith::MulIOp>(location, a, b);
  return builder.create<arith::MulFOp>(location, a, b);
}
Value KernelBuilder::div(Value a, Value b) {
  if (isa<IndexType>(a.getType()))
    return builder.create<arith::DivUIOp>(location, a, b);
  return builder.create<arith::DivFOp>(location, a, b);
}
Value KernelBuilder::fma(Value a, Value b, Value c) {
  return builder.create<LLVM::FMAOp>(location, a, b, c);
}
Value KernelBuilder::max(Value a, Value b) {
  return builder.create<arith::MaximumFOp>(location, a, b);
}
Value KernelBuilder::select(Value cond, Value a, Value b) {
  return builder.create<arith::SelectOp>(location, cond, a, b);
}
Value KernelBuilder::gt(Value a, Value b) {
  return builder.create<arith::CmpFOp>(location, arith::CmpFPredicate::OGT, a,
                                       b);
}
/// `t` (a float or a vector of floats) with f32 elements.
static Type withF32(Type t) {
  Type f32 = Float32Type::get(t.getContext());
  if (auto v = dyn_cast<VectorType>(t))
    return VectorType::get(v.getShape(), f32);
  return f32;
}

Value KernelBuilder::load(Value memref, Value i) {
  Value v = builder.create<memref::LoadOp>(location, memref, ValueRange{i});
  // A bf16 tensor (nngc-store-bf16) is computed on in f32.
  if (getElementTypeOrSelf(v.getType()).isBF16())
    v = builder.create<arith::ExtFOp>(location, withF32(v.getType()), v);
  return v;
}
void KernelBuilder::store(Value v, Value memref, Value i) {
  Type stored = cast<MemRefType>(memref.getType()).getElementType();
  if (getElementTypeOrSelf(stored).isBF16() &&
      !getElementTypeOrSelf(v.getType()).isBF16())
    v = builder.create<arith::TruncFOp>(location, stored, v);
  builder.create<memref::StoreOp>(location, v, memref, ValueRange{i});
}

int64_t KernelBuilder::widthOf(Value memref) {
  auto vector =
      dyn_cast<VectorType>(cast<MemRefType>(memref.getType()).getElementType());
  return vector ? vector.getNumElements() : 1;
}

SmallVector<Value, 4> KernelBuilder::loadLanes(Value memref, Value i) {
  Value v = load(memref, i);
  int64_t width = widthOf(memref);
  if (width == 1)
    return {v};
  SmallVector<Value, 4> lanes;
  for (int64_t l = 0; l < width; ++l)
    lanes.push_back(builder.create<vector::ExtractOp>(location, v, l));
  return lanes;
}

void KernelBuilder::storeLanes(ArrayRef<Value> lanes, Value memref, Value i) {
  if (widthOf(memref) == 1)
    return store(lanes.front(), memref, i);
  auto type = cast<VectorType>(
      withF32(cast<MemRefType>(memref.getType()).getElementType()));
  store(builder.create<vector::FromElementsOp>(location, type, lanes), memref,
        i);
}

Value KernelBuilder::callNVVM(StringRef intrinsic, Value x) {
  return builder
      .create<LLVM::CallIntrinsicOp>(location, builder.getF32Type(),
                                     builder.getStringAttr(intrinsic),
                                     ValueRange{x})
      .getResult(0);
}

// exp(x) = 2^(x log2 e) with PTX's ex2.approx (2 ulp; without .ftz, so
// subnormal results survive). The product's rounding adds |x| ulp at
// most: within 1e-6 relative for the |x| < 20 softmax and losses see.
Value KernelBuilder::exp(Value x) {
  return callNVVM("llvm.nvvm.ex2.approx.f", mul(x, f32(M_LOG2E)));
}

Value KernelBuilder::log(Value x) {
  return mul(callNVVM("llvm.nvvm.lg2.approx.f", x), f32(M_LN2));
}

Value KernelBuilder::fabs(Value x) { return callNVVM("llvm.nvvm.fabs.f", x); }

// IEEE square root, rounded to nearest (as std::sqrt).
Value KernelBuilder::sqrt(Value x) {
  return callNVVM("llvm.nvvm.sqrt.rn.f", x);
}

// tanh: an odd Taylor polynomial below |x| = 0.3 (truncation under 2e-8
// relative), else sign(x) (1 - e) / (1 + e) with e = exp(-2|x|), which has
// no cancellation there and saturates to +-1.
Value KernelBuilder::tanh(Value x) {
  Value ax = callNVVM("llvm.nvvm.fabs.f", x);
  Value x2 = mul(x, x);
  Value p = f32(62.0 / 2835);
  for (double c : {-17.0 / 315, 2.0 / 15, -1.0 / 3})
    p = fma(p, x2, f32(c));
  Value small = fma(mul(p, x2), x, x);
  Value e = exp(mul(ax, f32(-2)));
  Value t = div(sub(f32(1), e), add(f32(1), e));
  Value large = builder.create<LLVM::CopySignOp>(location, t, x);
  Value isSmall = builder.create<arith::CmpFOp>(
      location, arith::CmpFPredicate::OLT, ax, f32(0.3));
  return select(isSmall, small, large);
}

Value KernelBuilder::sigmoid(Value x) {
  return div(f32(1),
             add(f32(1), exp(builder.create<arith::NegFOp>(location, x))));
}

// erf: Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), odd.
Value KernelBuilder::erf(Value x) {
  Value ax = callNVVM("llvm.nvvm.fabs.f", x);
  Value t = div(f32(1), fma(f32(0.3275911), ax, f32(1)));
  Value p = f32(1.061405429);
  for (double c : {-1.453152027, 1.421413741, -0.284496736, 0.254829592})
    p = fma(p, t, f32(c));
  p = mul(p, t);
  Value e = exp(builder.create<arith::NegFOp>(location, mul(ax, ax)));
  Value y = sub(f32(1), mul(p, e));
  return builder.create<LLVM::CopySignOp>(location, y, x);
}

Value KernelBuilder::globalId() {
  Value b = builder.create<gpu::BlockIdOp>(location, gpu::Dimension::x);
  Value d = builder.create<gpu::BlockDimOp>(location, gpu::Dimension::x);
  Value t = builder.create<gpu::ThreadIdOp>(location, gpu::Dimension::x);
  return add(mul(b, d), t);
}

Value KernelBuilder::gridThreads() {
  Value g = builder.create<gpu::GridDimOp>(location, gpu::Dimension::x);
  Value d = builder.create<gpu::BlockDimOp>(location, gpu::Dimension::x);
  return mul(g, d);
}

Value KernelBuilder::lane() {
  Value t = builder.create<gpu::ThreadIdOp>(location, gpu::Dimension::x);
  return builder.create<arith::RemUIOp>(location, t, index(kWarpSize));
}

Value KernelBuilder::globalWarp() { return div(globalId(), index(kWarpSize)); }

void KernelBuilder::gridStrideLoop(int64_t n,
                                   const std::function<void(Value)> &body) {
  auto loop =
      builder.create<scf::ForOp>(location, globalId(), index(n), gridThreads());
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

Value KernelBuilder::reduceLoop(
    Value start, Value end, Value step, Value init,
    const std::function<Value(Value, Value)> &body) {
  auto loop =
      builder.create<scf::ForOp>(location, start, end, step, ValueRange{init});
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(loop.getBody());
  Value next = body(loop.getInductionVar(), loop.getRegionIterArgs()[0]);
  builder.create<scf::YieldOp>(location, next);
  return loop.getResult(0);
}

Value KernelBuilder::warpReduce(Value v, bool isMax) {
  for (int32_t offset = kWarpSize / 2; offset > 0; offset /= 2) {
    auto shuffle = builder.create<gpu::ShuffleOp>(
        location, v, offset, kWarpSize, gpu::ShuffleMode::XOR);
    Value other = shuffle.getShuffleResult();
    v = isMax ? max(v, other) : add(v, other);
  }
  return v;
}

Value KernelBuilder::warpMax(Value v) { return warpReduce(v, true); }
Value KernelBuilder::warpSum(Value v) { return warpReduce(v, false); }

void KernelBuilder::ifThen(Value cond, const std::function<void()> &body) {
  auto ifOp = builder.create<scf::IfOp>(location, cond, /*withElse=*/false);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(ifOp.thenBlock());
  body();
}

Value KernelBuilder::threadId() {
  return builder.create<gpu::ThreadIdOp>(location, gpu::Dimension::x);
}

Value KernelBuilder::cmpIndex(arith::CmpIPredicate p, Value a, Value b) {
  return builder.create<arith::CmpIOp>(location, p, a, b);
}

Value KernelBuilder::blockSum(Value v, unsigned array, int64_t block) {
  Value mem = shared(array), t = threadId();
  Value w = div(t, index(kWarpSize)), l = lane();
  v = warpSum(v);
  ifThen(cmpIndex(arith::CmpIPredicate::eq, l, index(0)),
         [&] { store(v, mem, w); });
  builder.create<gpu::BarrierOp>(location);
  // Every warp sums the warps' partial sums (so every thread has the
  // total); lanes past the block's warps add 0.
  Value part = load(mem, l);
  Value mine = cmpIndex(arith::CmpIPredicate::ult, l, index(block / kWarpSize));
  return warpSum(select(mine, part, f32(0)));
}

Value KernelBuilder::inRange(Value v, int64_t n,
                             std::optional<int64_t> except) {
  auto i64 = [&](int64_t c) {
    return builder.create<arith::ConstantOp>(location,
                                             builder.getI64IntegerAttr(c));
  };
  Value ok = builder.create<arith::AndIOp>(
      location, cmpIndex(arith::CmpIPredicate::sge, v, i64(0)),
      cmpIndex(arith::CmpIPredicate::slt, v, i64(n)));
  if (except)
    ok = builder.create<arith::AndIOp>(
        location, ok, cmpIndex(arith::CmpIPredicate::ne, v, i64(*except)));
  return ok;
}

Value KernelBuilder::columnBase(Value c, int64_t n, int64_t inner) {
  Value o = div(c, index(inner));
  Value i = builder.create<arith::RemUIOp>(location, c, index(inner));
  return add(mul(o, index(n * inner)), i);
}

Value KernelBuilder::notEqual(Value a, Value b) {
  return builder.create<arith::CmpFOp>(location, arith::CmpFPredicate::UNE, a,
                                       b);
}

void KernelBuilder::barrier() { builder.create<gpu::BarrierOp>(location); }

/// The runtime's hash32 (Dropout.h) on an i32.
static Value hash32(OpBuilder &b, Location loc, Value x) {
  auto c = [&](uint32_t v) {
    return b.create<arith::ConstantOp>(
        loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
  };
  auto xorShift = [&](Value v, uint32_t s) {
    return b.create<arith::XOrIOp>(loc, v,
                                   b.create<arith::ShRUIOp>(loc, v, c(s)));
  };
  x = xorShift(x, 16);
  x = b.create<arith::MulIOp>(loc, x, c(0x7feb352dU));
  x = xorShift(x, 15);
  x = b.create<arith::MulIOp>(loc, x, c(0x846ca68bU));
  return xorShift(x, 16);
}

Value KernelBuilder::dropoutKeep(Value k1, Value k2, Value threshold, Value g) {
  OpBuilder &b = builder;
  Location loc = location;
  // Block g / 2^32 of the mask, element g % 2^32 within it.
  Value block = b.create<arith::TruncIOp>(
      loc, b.getI32Type(),
      b.create<arith::ShRUIOp>(
          loc, g, b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(32))));
  Value first = b.create<arith::TruncIOp>(loc, b.getI32Type(), g);
  Value kb = b.create<arith::XOrIOp>(loc, k2, hash32(b, loc, block));
  Value draw = hash32(
      b, loc,
      b.create<arith::AddIOp>(
          loc, hash32(b, loc, b.create<arith::XOrIOp>(loc, first, k1)), kb));
  return cmpIndex(arith::CmpIPredicate::uge, draw, threshold);
}

void KernelBuilder::dropoutLoop(int64_t n, Value in, Value out, Value k1,
                                Value k2, Value threshold, Value scale,
                                Value offset, Value addend) {
  int64_t width = widthOf(in);
  assert(widthOf(out) == width && n % width == 0 && "one vector width");
  gridStrideLoop(n / width, [&](Value i) {
    SmallVector<Value, 4> x = loadLanes(in, i);
    Value first = mul(i, index(width));
    for (int64_t l = 0; l < width; ++l) {
      // Element first + l of the mask, as the CPU draws it.
      Value g = builder.create<arith::IndexCastOp>(
          location, builder.getI64Type(), add(first, index(l)));
      if (offset)
        g = builder.create<arith::AddIOp>(location, offset, g);
      Value keep = dropoutKeep(k1, k2, threshold, g);
      x[l] = mul(x[l], select(keep, scale, f32(0)));
    }
    if (addend) {
      SmallVector<Value, 4> a = loadLanes(addend, i);
      for (int64_t l = 0; l < width; ++l)
        x[l] = add(x[l], a[l]);
    }
    storeLanes(x, out, i);
  });
  finish(gridFor(n / width));
}

void KernelBuilder::laneLoop(int64_t n,
                             const std::function<void(Value)> &body) {
  auto loop =
      builder.create<scf::ForOp>(location, lane(), index(n), index(kWarpSize));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

void KernelBuilder::warpPerRow(int64_t rows, int64_t n,
                               const std::function<void(Value, Value)> &body) {
  Value r = globalWarp();
  ifThen(cmpIndex(arith::CmpIPredicate::ult, r, index(rows)),
         [&] { body(mul(r, index(n)), r); });
  int64_t warps = kBlockSize / kWarpSize;
  finish((rows + warps - 1) / warps);
}
