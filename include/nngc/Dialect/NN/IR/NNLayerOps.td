//===- NNLayerOps.td - layers, activations, losses, tensors *- tablegen -*-===//
//
// The ops a model is written in. Each has a verifier (declarative where
// possible), shape inference and a VJP (in NNVJP.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNLAYEROPS_TD
#define NNGC_DIALECT_NN_IR_NNLAYEROPS_TD

// A differentiable op: pure, and builds its own VJP.
class NN_DiffOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat([Pure,
        DeclareOpInterfaceMethods<VJPOpInterface, ["buildVJP"]>], traits)>;

//===----------------------------------------------------------------------===//
// Dense layers.
//===----------------------------------------------------------------------===//

def NN_LinearOp : NN_DiffOp<"linear", [InferTypeOpAdaptor, NN_PositionWise,
    DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "torch.nn.functional.linear: y = x W^T + b";
  let description = [{
    `input` is `[..., in]`, `weight` is `[out, in]` (PyTorch's layout) and
    the optional `bias` is `[out]`; the result is `[..., out]`.

    ```mlir
    %h = nn.linear %x, %w, %b : tensor<64x64xf32>, tensor<128x64xf32>, tensor<128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$weight,
                       Optional<NN_FloatTensor>:$bias);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` type($input) `,`
    type($weight) (`,` type($bias)^)?
  }];
}

def NN_MatmulOp : NN_DiffOp<"matmul", [InferTypeOpAdaptor,
    DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "Matrix product, optionally batched and transposed";
  let description = [{
    `lhs` is `[M, K]` or `[B, M, K]` (`[K, M]`/`[B, K, M]` with
    `transpose_lhs`), `rhs` is `[K, N]` or `[B, K, N]` (`[N, K]`/`[B, N, K]`
    with `transpose_rhs`). A rank-2 `rhs` is shared by every batch of a
    rank-3 `lhs`; a rank-2 `lhs` needs a rank-2 `rhs`.

    ```mlir
    %c = nn.matmul %a, %b {transpose_rhs} : tensor<8x16xf32>, tensor<4x16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic with NumPy/PyTorch broadcasting.
//===----------------------------------------------------------------------===//

class NN_BroadcastBinaryOp<string mnemonic, string formula>
    : NN_DiffOp<mnemonic, [InferTypeOpAdaptor, NN_PositionWise,
                           InPlaceOpInterface]> {
  let summary = "Elementwise " # formula # " with broadcasting";
  let description = [{
    Shapes broadcast as in NumPy and PyTorch: aligned from the last
    dimension, each pair of sizes equal or one of them 1.

    ```mlir
    %z = nn.}] # mnemonic # [{ %x, %y : tensor<4x3xf32>, tensor<3xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs)";
}

def NN_AddOp : NN_BroadcastBinaryOp<"add", "lhs + rhs">;
def NN_SubOp : NN_BroadcastBinaryOp<"sub", "lhs - rhs">;
def NN_MulOp : NN_BroadcastBinaryOp<"mul", "lhs * rhs">;

//===----------------------------------------------------------------------===//
// Activations.
//===----------------------------------------------------------------------===//

class NN_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : NN_DiffOp<mnemonic, !listconcat([SameOperandsAndResultType,
                                       InPlaceOpInterface], traits)> {
  let summary = formula;
  let description = [{
    Elementwise; the result has the type of the input.

    ```mlir
    %y = nn.}] # mnemonic # [{ %x : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_ReluOp : NN_UnaryOp<"relu", "max(x, 0)", [NN_PositionWise]>;
def NN_SigmoidOp : NN_UnaryOp<"sigmoid", "1 / (1 + exp(-x))", [NN_PositionWise]>;
def NN_TanhOp : NN_UnaryOp<"tanh", "tanh(x)", [NN_PositionWise]>;
def NN_NegOp : NN_UnaryOp<"neg", "-x", [NN_PositionWise]>;

def NN_LeakyReluOp : NN_UnaryOp<"leaky_relu", "x if x > 0 else slope * x",
                                           [NN_PositionWise]> {
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<F64Attr, "0.01">:$negative_slope);
}

def NN_GeluOp : NN_UnaryOp<"gelu", "x * Phi(x) (torch.nn.GELU)",
                                  [NN_PositionWise]> {
  let description = [{
    The exact form by default; `approximate = tanh` is torch's tanh
    approximation.

    ```mlir
    %y = nn.gelu %x : tensor<64x128xf32>
    %z = nn.gelu %x approximate = tanh : tensor<64x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
      DefaultValuedAttr<NN_GeluApproximationAttr,
                        "::nngc::nn::GeluApproximation::none">:$approximate);
  let assemblyFormat = [{
    $input (`approximate` `=` $approximate^)? attr-dict `:` type($input)
  }];
}

class NN_SoftmaxBase<string mnemonic, string formula>
    : NN_UnaryOp<mnemonic, formula> {
  let arguments = (ins NN_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let hasVerifier = 1;
}
def NN_SoftmaxOp : NN_SoftmaxBase<"softmax", "exp(x) / sum(exp(x)) along axis">;
def NN_LogSoftmaxOp : NN_SoftmaxBase<"log_softmax", "x - logsumexp(x) along axis">;

//===----------------------------------------------------------------------===//
// Losses. Each reduces to a scalar mean over the batch's valid rows.
//===----------------------------------------------------------------------===//

class NN_LossOp<string mnemonic, string torchName>
    : NN_DiffOp<mnemonic> {
  let summary = torchName # " with mean reduction";
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands)
  }];
  let hasVerifier = 1;
}

def NN_MSEOp : NN_LossOp<"mse", "torch.nn.functional.mse_loss"> {
  let description = [{
    Mean of `(input - target)^2` over every element of the valid rows (all
    rows except in a partial final batch, see docs/Runtime.md).

    ```mlir
    %loss = nn.mse %pred, %target : tensor<32x1xf32>, tensor<32x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$target);
}

def NN_BinaryCrossEntropyOp : NN_LossOp<"binary_cross_entropy",
    "torch.nn.functional.binary_cross_entropy_with_logits"> {
  let description = [{
    Takes logits (it applies the sigmoid itself, in the numerically stable
    form) and `f32` targets in [0, 1] of the same shape.

    ```mlir
    %loss = nn.binary_cross_entropy %logits, %y : tensor<32x1xf32>, tensor<32x1xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_FloatTensor:$target);
}

def NN_CrossEntropyOp : NN_LossOp<"cross_entropy",
    "torch.nn.functional.cross_entropy (integer labels)"> {
  let description = [{
    `logits` is `[..., C]`, `labels` is `[...]` with values in [0, C); the
    log-softmax is fused in. The mean is over every label position of the
    valid rows. With `ignore_index`, positions whose label equals it add
    nothing and the mean is over the others (PyTorch's `ignore_index`;
    where every position is ignored the loss is 0, not PyTorch's NaN).

    ```mlir
    %loss = nn.cross_entropy %logits, %y : tensor<64x10xf32>, tensor<64xi64>
    %lm = nn.cross_entropy %z, %next {ignore_index = 0} : tensor<8x32x100xf32>, tensor<8x32xi64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$logits, NN_LabelTensor:$labels,
                       OptionalAttr<I64Attr>:$ignore_index);
}

//===----------------------------------------------------------------------===//
// Shape ops.
//===----------------------------------------------------------------------===//

def NN_ReshapeOp : NN_DiffOp<"reshape"> {
  let summary = "Same data, another shape (torch.reshape)";
  let description = [{
    The element count must not change. The result aliases the input.

    ```mlir
    %r = nn.reshape %x : tensor<4x8x16xf32> -> tensor<32x16xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_TransposeOp : NN_DiffOp<"transpose"> {
  let summary = "Permute dimensions (torch.permute), materialised";
  let description = [{
    Dimension `i` of the result is dimension `permutation[i]` of the input,
    e.g. `[1, 0, 2]` turns a batch-first `[B, T, C]` sequence time-major.

    ```mlir
    %t = nn.transpose %x {permutation = array<i64: 1, 0, 2>} : tensor<32x64x128xf32> -> tensor<64x32x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, DenseI64ArrayAttr:$permutation);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_SumToOp : NN_DiffOp<"sum_to"> {
  let summary = "Sum a tensor down to a shape it was broadcast from";
  let description = [{
    The inverse of broadcasting, used for the gradient of a broadcast
    operand: the result type must broadcast to the input type, and every
    broadcast dimension is summed.

    ```mlir
    %db = nn.sum_to %dy : tensor<64x128xf32> -> tensor<128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def NN_FillOp : NN_Op<"fill", [Pure]> {
  let summary = "A tensor with every element set to one value";
  let description = [{
    ```mlir
    %one = nn.fill 1.0 : tensor<f32>
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$value attr-dict `:` type($result)";
}

#endif // NNGC_DIALECT_NN_IR_NNLAYEROPS_TD
