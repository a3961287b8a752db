//===- NNTrainingOps.td - backward and optimizer ops -------*- tablegen -*-===//
//
// Ops emitted by nngc-autodiff (fused backward primitives, gradient sinks)
// and nngc-optimizer (state and in-place updates). Users may write them
// too; they are not differentiable.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNTRAININGOPS_TD
#define NNGC_DIALECT_NN_IR_NNTRAININGOPS_TD

// grad_input = f'(saved) * grad, elementwise. `saved` is the forward input
// or result, as the backward formula needs.
class NN_ActivationGradOp<string mnemonic, string forward, string saved,
                          list<Trait> traits = [InPlaceOpInterface]>
    : NN_Op<mnemonic, !listconcat([Pure,
        AllTypesMatch<["grad", "saved", "result"]>], traits)> {
  let summary = "Backward of nn." # forward;
  let description = [{
    The gradient with respect to the input of `nn.}] # forward # [{`, given
    the gradient of its result (`grad`) and its }] # saved # [{.
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $saved attr-dict `:` type($result)";
}

// With `from_result` (set by nngc-fuse when it fuses the relu into a
// matmul epilogue), `saved` is the forward result: relu(x) > 0 exactly
// where x > 0, so the gradient is the same.
def NN_ReluGradOp : NN_ActivationGradOp<"relu_grad", "relu", "input"> {
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved,
                       UnitAttr:$from_result);
}
def NN_SigmoidGradOp : NN_ActivationGradOp<"sigmoid_grad", "sigmoid", "result">;
def NN_TanhGradOp : NN_ActivationGradOp<"tanh_grad", "tanh", "result">;
def NN_LeakyReluGradOp
    : NN_ActivationGradOp<"leaky_relu_grad", "leaky_relu", "input"> {
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved,
                       DefaultValuedAttr<F64Attr, "0.01">:$negative_slope,
                       UnitAttr:$from_result);
}
def NN_GeluGradOp : NN_ActivationGradOp<"gelu_grad", "gelu", "input"> {
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved,
      DefaultValuedAttr<NN_GeluApproximationAttr,
                        "::nngc::nn::GeluApproximation::none">:$approximate);
  let assemblyFormat = [{
    $grad `,` $saved (`approximate` `=` $approximate^)? attr-dict `:`
    type($result)
  }];
}
def NN_SoftmaxGradOp
    : NN_ActivationGradOp<"softmax_grad", "softmax", "result", []> {
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
}
def NN_LogSoftmaxGradOp
    : NN_ActivationGradOp<"log_softmax_grad", "log_softmax", "result", []> {
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
}

// grad_input = d loss / d input * grad (a scalar).
class NN_LossGradOp<string mnemonic, string forward>
    : NN_Op<mnemonic, [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Backward of nn." # forward;
  let description = [{
    The gradient of `nn.}] # forward # [{` with respect to its first
    operand, scaled by the scalar `grad`.
  }];
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $input `,` $target attr-dict `:` type($input) `,` type($target)
  }];
}

def NN_MSEGradOp : NN_LossGradOp<"mse_grad", "mse"> {
  let arguments = (ins NN_Scalar:$grad, NN_FloatTensor:$input,
                       NN_FloatTensor:$target);
}
def NN_BinaryCrossEntropyGradOp
    : NN_LossGradOp<"binary_cross_entropy_grad", "binary_cross_entropy"> {
  let arguments = (ins NN_Scalar:$grad, NN_FloatTensor:$input,
                       NN_FloatTensor:$target);
}
def NN_CrossEntropyGradOp
    : NN_LossGradOp<"cross_entropy_grad", "cross_entropy"> {
  let arguments = (ins NN_Scalar:$grad, NN_FloatTensor:$input,
                       NN_LabelTensor:$target,
                       OptionalAttr<I64Attr>:$ignore_index);
}

def NN_GradientOp : NN_Op<"gradient"> {
  let summary = "The gradient of the loss with respect to a parameter";
  let description = [{
    Emitted by `nngc-autodiff`, one per parameter: `grad` is written to the
    parameter's slot in the gradient buffer, where the optimizer and the
    trainer's `grad-check` read it.

    ```mlir
    nn.gradient "fc1.weight" %dw : tensor<128x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_FloatTensor:$grad);
  let assemblyFormat = "$name $grad attr-dict `:` type($grad)";
}

def NN_LossOp : NN_Op<"loss"> {
  let summary = "The training loss, reported by the trainer";
  let description = [{
    What `nngc-optimizer` leaves of `nn.minimize`.

    ```mlir
    nn.loss %loss : tensor<f32>
    ```
  }];
  let arguments = (ins NN_Scalar:$loss);
  let assemblyFormat = "$loss attr-dict `:` type($loss)";
}

def NN_StateOp : NN_Op<"state"> {
  let summary = "Optimizer state: zero-initialised, checkpointed, not trained";
  let description = [{
    ```mlir
    %m = nn.state "fc1.weight.exp_avg" : tensor<128x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def NN_GradNormOp : NN_Op<"grad_norm", [Pure]> {
  let summary = "The global L2 norm of the gradients";
  let description = [{
    `sqrt(sum of every gradient element squared)`, over all the operands,
    as `torch.nn.utils.clip_grad_norm_` computes it. `nngc-optimizer`
    emits one and passes it to every update op, which clips with it when
    gradient clipping is on (its `max_norm` is a run-time setting, from
    `clip_grad_norm(...)` or the trainer's `--clip`).

    ```mlir
    %n = nn.grad_norm %dw, %db : tensor<10x4xf32>, tensor<10xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$grads);
  let results = (outs NN_Scalar:$result);
  let assemblyFormat = "$grads attr-dict `:` type($grads)";
}

def NN_SGDUpdateOp : NN_Op<"sgd_update",
    [AllTypesMatch<["param", "grad"]>, AttrSizedOperandSegments]> {
  let summary = "One torch.optim.SGD step on a parameter, in place";
  let description = [{
    With `g = grad + weight_decay * param`: if momentum is non-zero,
    `buf = g` on the first step and `buf = momentum * buf + (1 - dampening)
    * g` after, and `g = g + momentum * buf` (Nesterov) or `g = buf`; then
    `param -= lr * g`. `momentum_buffer` is present iff momentum != 0. The
    learning rate is scaled at run time by the trainer's schedule. With
    `grad_norm` (an `nn.grad_norm` of all gradients), `grad` is first
    clipped with it when the run clips gradients.

    ```mlir
    nn.sgd_update %w, %dw, %buf {lr = 0.1 : f64, momentum = 0.9 : f64, dampening = 0.0 : f64, weight_decay = 0.0 : f64} : tensor<10x4xf32>, tensor<10x4xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       Optional<NN_FloatTensor>:$momentum_buffer,
                       Optional<NN_Scalar>:$grad_norm,
                       F64Attr:$lr, F64Attr:$momentum, F64Attr:$dampening,
                       F64Attr:$weight_decay, UnitAttr:$nesterov);
  let assemblyFormat = [{
    $param `,` $grad (`,` $momentum_buffer^)? (`grad_norm` `(` $grad_norm^ `)`)?
    attr-dict `:` type($param) (`,` type($momentum_buffer)^)?
  }];
  let hasVerifier = 1;
}

def NN_AdamUpdateOp : NN_Op<"adam_update",
    [AllTypesMatch<["param", "grad", "exp_avg", "exp_avg_sq"]>]> {
  let summary = "One torch.optim.Adam or AdamW step on a parameter, in place";
  let description = [{
    torch.optim.Adam's formula (`amsgrad=False`, `maximize=False`) with step
    count t (kept by the trainer, checkpointed as `optimizer.step`):
    `g = grad (+ weight_decay * param unless decoupled)`, `m = b1 m + (1 -
    b1) g`, `v = b2 v + (1 - b2) g^2`, `param -= lr / (1 - b1^t) * m /
    (sqrt(v) / sqrt(1 - b2^t) + eps)`. With `decoupled_weight_decay`
    (AdamW), `param *= 1 - lr * weight_decay` first. With `grad_norm`,
    `grad` is first clipped as for `nn.sgd_update`.

    ```mlir
    nn.adam_update %w, %dw, %m, %v {lr = 1.0e-3 : f64, beta1 = 0.9 : f64, beta2 = 0.999 : f64, eps = 1.0e-8 : f64, weight_decay = 0.0 : f64} : tensor<10x4xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$param, NN_FloatTensor:$grad,
                       NN_FloatTensor:$exp_avg, NN_FloatTensor:$exp_avg_sq,
                       Optional<NN_Scalar>:$grad_norm,
                       F64Attr:$lr, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$eps, F64Attr:$weight_decay,
                       UnitAttr:$decoupled_weight_decay);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq
    (`grad_norm` `(` $grad_norm^ `)`)? attr-dict `:` type($param)
  }];
}

def NN_CheckFiniteOp : NN_Op<"check_finite"> {
  let summary = "Reports the first NaN or Inf of a tensor (--check-numerics)";
  let description = [{
    Inserted after every op of the training entry points (by
    `nngc-insert-numerics-checks`, or by `nngc-convert-nn-to-llvm` where
    none are there): when the trainer runs with `--check-numerics`, the
    first check that finds a NaN or an infinity stops the step with an
    error naming check `id`'s op and its location in the model (`what`;
    the manifest's `numerics` table). Without the option the check returns
    at once (on the GPU its kernel is not launched). It reads its operand
    right after that is computed, so the memory plan needs no change.

    ```mlir
    nn.check_finite %h {id = 3, what = "nn.relu at model.mlir:7:8"} : tensor<32x64xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$id,
                       OptionalAttr<StrAttr>:$what);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

#endif // NNGC_DIALECT_NN_IR_NNTRAININGOPS_TD
