//===- NNFusedOps.td - ops nngc-fuse produces -------------*- tablegen -*-===//
//
// What nngc-fuse rewrites chains of training-graph ops into: one library
// call (or one runtime loop) instead of several, with the same arithmetic;
// and nn.round_bf16, which nngc-store-bf16 inserts.
// They are not differentiable: fusion runs after nngc-autodiff and
// nngc-optimizer. Users may write them, e.g. in lit tests.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNFUSEDOPS_TD
#define NNGC_DIALECT_NN_IR_NNFUSEDOPS_TD

def NN_DropoutAddOp : NN_Op<"dropout_add", [SameOperandsAndResultType,
    NN_PositionWise, NN_KeepsState,
    DeclareOpInterfaceMethods<InPlaceOpInterface, ["canWriteOverOperand"]>]> {
  let summary = "nn.dropout of `input`, added to `addend`: one pass";
  let description = [{
    `result = dropout(input, p) + addend`: the residual connection after a
    dropout (`x + dropout(f(x))`), which nngc-fuse makes of an `nn.dropout`
    read only by an `nn.add` of its shape (`dropout-add`, the CUDA
    target's: one kernel and no buffer for the dropout's result). The op
    draws the dropout's mask (it keeps state: its slot keys the mask, and
    an `nn.dropout_grad` names it as it named the dropout), so the graph
    computes what it computed before, bit for bit. In `eval` and `predict`
    it is `input + addend`. The result may take `input`'s buffer.

    ```mlir
    %y = nn.dropout_add %h, %x {p = 0.2} : tensor<32x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, NN_FloatTensor:$addend,
                       F64Attr:$p);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input `,` $addend attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_RoundBF16Op : NN_Op<"round_bf16", [Pure, SameOperandsAndResultType,
    NN_PositionWise]> {
  let summary = "Each element rounded to the nearest bfloat16";
  let description = [{
    `result = bf16(input)`, rounded to nearest, ties to even (as
    `torch.Tensor.bfloat16()`), as an f32 tensor. nngc-store-bf16
    (`--target=cuda --precision=bf16`) inserts it before the products
    that read a parameter together with a bf16 activation: cuBLASLt
    multiplies bf16 only by bf16, so the product reads this copy of the
    weight, which nngc-store-bf16 stores as bf16 (its values are exact in
    bf16, so that storage loses nothing). It is not differentiable: it is
    inserted after nngc-autodiff.

    ```mlir
    %w16 = nn.round_bf16 %w : tensor<128x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def NN_FusedMatmulOp : NN_Op<"fused_matmul", [Pure, AttrSizedOperandSegments,
    OptionalTypesMatchWith<"addend has the result's type", "result", "addend",
                           "$_self">,
    DeclareOpInterfaceMethods<InPlaceOpInterface, ["canWriteOverOperand"]>,
    DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "A matrix product with its epilogue: bias, activation, addend";
  let description = [{
    `result = addend + act(op(lhs) op(rhs) + bias)`, computed by one oneDNN
    matmul with post-ops (an eltwise post-op for `act`, a sum or binary-add
    post-op for `addend`).

    Shapes are those of `nn.matmul` (transposes, a rank-3 `lhs` with a
    shared rank-2 `rhs`, batched rank-3 operands), and also those of
    `nn.linear`: a `lhs` of any rank >= 2 without `transpose_lhs` and a
    rank-2 `rhs` multiplies every row of `lhs`'s last dimension. `bias` is
    `[N]`; `addend` has the result's type. `activation` is `none`, `relu`,
    `leaky_relu` (with `negative_slope`), `tanh` or `sigmoid`.

    With `accumulate`, the product is accumulated onto the addend in place
    (oneDNN's sum post-op, which adds the addend inside the GEMM); the
    memory plan then gives the result the addend's buffer (nngc-fuse sets
    it only where the addend is not read afterwards). Without it the addend
    is read by a binary-add post-op. The two round differently in the last
    bit, so the choice is made once, by nngc-fuse, and not by the memory
    plan: rematerialising or re-planning never changes the arithmetic.

    ```mlir
    %y = nn.fused_matmul %x, %w bias(%b : tensor<128xf32>) addend(%r) {transpose_rhs, activation = relu} : tensor<32x64xf32>, tensor<128x64xf32> -> tensor<32x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$lhs, NN_FloatTensor:$rhs,
                       Optional<NN_FloatTensor>:$bias,
                       Optional<NN_FloatTensor>:$addend,
                       UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs,
                       UnitAttr:$accumulate,
                       DefaultValuedAttr<NN_EpilogueActivationAttr,
                         "::nngc::nn::EpilogueActivation::none">:$activation,
                       DefaultValuedAttr<F64Attr, "0.0">:$negative_slope);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` `(` $bias^ `:` type($bias) `)`)?
    (`addend` `(` $addend^ `)`)? attr-dict `:` type($lhs) `,` type($rhs)
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The product as (batch, M, K, N), with whether the rhs is shared by
    /// every batch and whether lhs rows were flattened (the linear form).
    struct Dims {
      int64_t batch, m, k, n;
      bool sharedRhs;
    };
    Dims getDims();
  }];
}

def NN_MultiAdamUpdateOp : NN_Op<"multi_adam_update",
    [AttrSizedOperandSegments,
     RangedTypesMatchWith<"grads match params", "params", "grads", "$_self">,
     RangedTypesMatchWith<"exp_avgs match params", "params", "exp_avgs",
                          "$_self">,
     RangedTypesMatchWith<"exp_avg_sqs match params", "params",
                          "exp_avg_sqs", "$_self">]> {
  let summary = "nn.adam_update of many parameters in one pass";
  let description = [{
    The update of `nn.adam_update` applied to every (`params[i]`,
    `grads[i]`, `exp_avgs[i]`, `exp_avg_sqs[i]`), with weight decay
    `weight_decays[i]`, in one parallel loop over all their elements
    (PyTorch's multi-tensor apply). Each element is updated with exactly the
    single-tensor formula, so results are bit-identical.

    ```mlir
    nn.multi_adam_update params(%w, %b) grads(%dw, %db) exp_avgs(%mw, %mb) exp_avg_sqs(%vw, %vb) grad_norm(%n) {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decays = array<f64: 0.01, 0.0>, decoupled_weight_decay} : tensor<4x3xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$params,
                       Variadic<NN_FloatTensor>:$grads,
                       Variadic<NN_FloatTensor>:$exp_avgs,
                       Variadic<NN_FloatTensor>:$exp_avg_sqs,
                       Optional<NN_Scalar>:$grad_norm,
                       F64Attr:$lr, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$eps, DenseF64ArrayAttr:$weight_decays,
                       UnitAttr:$decoupled_weight_decay);
  let assemblyFormat = [{
    `params` `(` $params `)` `grads` `(` $grads `)` `exp_avgs` `(` $exp_avgs `)`
    `exp_avg_sqs` `(` $exp_avg_sqs `)` (`grad_norm` `(` $grad_norm^ `)`)?
    attr-dict `:` type($params)
  }];
  let hasVerifier = 1;
}

def NN_MultiSGDUpdateOp : NN_Op<"multi_sgd_update",
    [AttrSizedOperandSegments,
     RangedTypesMatchWith<"grads match params", "params", "grads", "$_self">]> {
  let summary = "nn.sgd_update of many parameters in one pass";
  let description = [{
    The update of `nn.sgd_update` applied to every (`params[i]`, `grads[i]`
    and, with momentum, `momentum_buffers[i]`), with weight decay
    `weight_decays[i]`, in one parallel loop over all their elements; each
    element gets exactly the single-tensor formula. `momentum_buffers` is
    empty iff momentum is 0.

    ```mlir
    nn.multi_sgd_update params(%w, %b) grads(%dw, %db) momentum_buffers() grad_norm(%n) {lr = 0.1 : f64, momentum = 0.0 : f64, dampening = 0.0 : f64, weight_decays = array<f64: 0.0, 0.0>} : tensor<4x3xf32>, tensor<4xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$params,
                       Variadic<NN_FloatTensor>:$grads,
                       Variadic<NN_FloatTensor>:$momentum_buffers,
                       Optional<NN_Scalar>:$grad_norm,
                       F64Attr:$lr, F64Attr:$momentum, F64Attr:$dampening,
                       DenseF64ArrayAttr:$weight_decays, UnitAttr:$nesterov);
  let assemblyFormat = [{
    `params` `(` $params `)` `grads` `(` $grads `)`
    `momentum_buffers` `(` ($momentum_buffers^ `:` type($momentum_buffers))? `)`
    (`grad_norm` `(` $grad_norm^ `)`)? attr-dict `:` type($params)
  }];
  let hasVerifier = 1;
}

#endif // NNGC_DIALECT_NN_IR_NNFUSEDOPS_TD
