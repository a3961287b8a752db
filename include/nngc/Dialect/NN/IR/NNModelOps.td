//===- NNModelOps.td - model, inputs, params, outputs ------*- tablegen -*-===//

#ifndef NNGC_DIALECT_NN_IR_NNMODELOPS_TD
#define NNGC_DIALECT_NN_IR_NNMODELOPS_TD

def NN_ModelOp : NN_TopLevelOp<"model", [Symbol, IsolatedFromAbove,
                                 GraphRegionNoTerminator]> {
  let summary = "A training problem: inputs, parameters, layers, loss";
  let description = [{
    The body is a graph region: its ops may be written in any order that
    respects data flow, but the data flow must be acyclic. Input, parameter
    and output names must be unique, and at most one `nn.minimize` is
    allowed (a model without one can only be evaluated).

    ```mlir
    nn.model @mlp {
      %x = nn.input "features" : tensor<64x4xf32>
      %y = nn.input "label" : tensor<64xi64>
      %w = nn.param "fc.weight" init(kaiming_uniform, 2.23606797749979) : tensor<3x4xf32>
      %logits = nn.linear %x, %w : tensor<64x4xf32>, tensor<3x4xf32>
      %loss = nn.cross_entropy %logits, %y : tensor<64x3xf32>, tensor<64xi64>
      nn.output "logits" %logits : tensor<64x3xf32>
      nn.minimize %loss with #nn.sgd<lr = 0.1>
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// The batch size: the first dimension of the first input (0 if none).
    int64_t getBatchSize();
  }];
}

def NN_InputOp : NN_Op<"input"> {
  let summary = "A named input fed by the trainer each step";
  let description = [{
    Features are `f32`; class labels are `i64`. The first dimension is the
    batch. An input used as the target of a loss is a label (regression
    targets are `f32` labels); the trainer fills the others from feature
    columns.

    ```mlir
    %x = nn.input "pixels" : tensor<64x64xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs NN_AnyTensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_ParamOp : NN_Op<"param"> {
  let summary = "A trainable parameter with a PyTorch state_dict name";
  let description = [{
    The initialiser follows `torch.nn.init`, its arguments after its name:

    | init | arguments | meaning |
    |---|---|---|
    | `zeros`, `ones` | none | |
    | `constant` | value | |
    | `normal` | mean, std (default 0, 1) | |
    | `uniform` | a, b (default 0, 1) | U(a, b) |
    | `xavier_uniform`, `xavier_normal` | gain (default 1) | |
    | `kaiming_uniform`, `kaiming_normal` | a (default 0) | fan_in mode, leaky_relu gain sqrt(2 / (1 + a^2)) |

    `nn.Linear`'s own default is `kaiming_uniform` with a = sqrt(5) for the
    weight (U(-1/sqrt(in), 1/sqrt(in))) and `uniform` with the same bound
    for the bias. Fans are PyTorch's: dimension 1 times the receptive field
    is fan_in, dimension 0 times it is fan_out.

    ```mlir
    %w = nn.param "fc1.weight" init(kaiming_uniform, 2.23606797749979) : tensor<128x64xf32>
    %b = nn.param "fc1.bias" init(uniform, -0.125, 0.125) : tensor<128xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_InitKindAttr:$init,
                       DefaultValuedAttr<DenseF64ArrayAttr, "{}">:$init_args);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $name `init` custom<Init>($init, $init_args) attr-dict `:` type($result)
  }];
  let hasVerifier = 1;
}

def NN_OutputOp : NN_Op<"output"> {
  let summary = "A named value the trainer reads back (predictions)";
  let description = [{
    `nngc predict` writes outputs; an output named like a classifier's
    logits (an `f32` tensor with the batch first) also gives the accuracy.

    ```mlir
    nn.output "logits" %logits : tensor<64x10xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, NN_FloatTensor:$value);
  let assemblyFormat = "$name $value attr-dict `:` type($value)";
}

def NN_MinimizeOp : NN_Op<"minimize"> {
  let summary = "The loss to minimise and the optimizer that does it";
  let description = [{
    ```mlir
    nn.minimize %loss with #nn.adam<lr = 1.0e-3>
    nn.minimize %loss with #nn.adamw<lr = 1.0e-3, beta2 = 0.99, weight_decay = 0.1>
        clip_grad_norm(1.0) decay(matrices)
        schedule(#nn.warmup_cosine<warmup = 100, decay_steps = 2000, min_lr = 1.0e-4>)
    ```
    `nngc-autodiff` differentiates the loss with respect to every
    parameter; `nngc-optimizer` then replaces this op with `nn.loss` and one
    update op per parameter.

    * `clip_grad_norm(max)` scales all gradients by `min(1, max / (norm +
      1e-6))`, `norm` being their global L2 norm, before the update
      (`torch.nn.utils.clip_grad_norm_`).
    * `decay(matrices)` applies the optimizer's weight decay only to
      parameters with two or more dimensions (nanoGPT's parameter groups:
      none on biases and LayerNorm weights); `decay(all)`, the default, is
      torch.optim's. A parameter with the `no_weight_decay` attribute gets
      none in either case (e.g. embeddings, for the older nanoGPT rule).
    * `schedule(...)` is the learning-rate schedule (`#nn.warmup_cosine`,
      `#nn.step_lr`); without one the rate is constant.

    The trainer's `--clip`, `--schedule`, `--warmup`, ... override these
    at run time (docs/Trainer.md).
  }];
  let arguments = (ins NN_Scalar:$loss, NN_OptimizerAttr:$optimizer,
                       OptionalAttr<F64Attr>:$clip_grad_norm,
                       OptionalAttr<NN_DecayRuleAttr>:$decay,
                       OptionalAttr<NN_ScheduleAttr>:$schedule);
  let assemblyFormat = [{
    $loss `with` $optimizer (`clip_grad_norm` `(` $clip_grad_norm^ `)`)?
    (`decay` `(` $decay^ `)`)? (`schedule` `(` $schedule^ `)`)? attr-dict
  }];
  let hasVerifier = 1;
}

#endif // NNGC_DIALECT_NN_IR_NNMODELOPS_TD
