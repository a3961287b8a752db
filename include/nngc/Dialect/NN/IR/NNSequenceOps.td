//===- NNSequenceOps.td - embeddings, recurrent layers, dropout -*- tablegen -*-===//
//
// The ops of sequence models: token embeddings, PyTorch's RNN/LSTM/GRU
// layers (with PyTorch's parameter names and layouts) and dropout, with the
// backward ops nngc-autodiff emits for them.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNSEQUENCEOPS_TD
#define NNGC_DIALECT_NN_IR_NNSEQUENCEOPS_TD

def NN_EmbeddingOp : NN_DiffOp<"embedding", [InferTypeOpAdaptor, NN_PositionWise]> {
  let summary = "torch.nn.functional.embedding: rows of a table by index";
  let description = [{
    `ids` is an `i64` tensor of any shape with values in [0, vocab);
    `weight` is `[vocab, dim]`; the result is `ids`' shape plus `[dim]`.
    With `padding_idx`, the row of that index gets no gradient (as in
    PyTorch, where it also starts at zero if the initialiser says so).

    ```mlir
    %e = nn.embedding %ids, %table {padding_idx = 0} : tensor<32x64xi64>, tensor<65x128xf32>
    ```
  }];
  let arguments = (ins NN_LabelTensor:$ids, NN_FloatTensor:$weight,
                       OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $weight attr-dict `:` type($ids) `,` type($weight)
  }];
  let hasVerifier = 1;
}

def NN_EmbeddingGradOp : NN_Op<"embedding_grad", [Pure]> {
  let summary = "Backward of nn.embedding: scatter-add into a zero table";
  let description = [{
    `result[ids[i]] += grad[i]` for every position `i`, except where
    `ids[i]` is `padding_idx`.
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_LabelTensor:$ids,
                       OptionalAttr<I64Attr>:$padding_idx);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $grad `,` $ids attr-dict `:` type($grad) `,` type($ids) `->` type($result)
  }];
}

//===----------------------------------------------------------------------===//
// Recurrent layers.
//===----------------------------------------------------------------------===//

class NN_RecurrentOp<string mnemonic, string torchName, string cell,
                     string gates>
    : NN_DiffOp<mnemonic, [AttrSizedOperandSegments, NN_KeepsState,
        DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "torch.nn." # torchName # ": " # cell;
  code recurrentDescription = [{
    A stack of `num_layers` recurrent layers over `input`, `[T, B, I]` (or
    `[B, T, I]` with `batch_first`), exactly as `torch.nn.}] # torchName # [{`
    computes it. With `bidirectional`, each layer also runs backwards in
    time and the two directions' outputs are concatenated on the last
    dimension. `dropout` applies dropout to the output of every layer but
    the last, while training.

    `weights` are the layer's parameters in PyTorch's order and layouts
    (`_flat_weights`): for each layer `k` and direction (suffix `_reverse`
    for the backward one) `weight_ih_lk [}] # gates # [{*H, in]`,
    `weight_hh_lk [}] # gates # [{*H, H]`, then, unless the layer has no
    bias, `bias_ih_lk [}] # gates # [{*H]` and `bias_hh_lk [}] # gates # [{*H]`,
    where `in` is `I` for layer 0 and `D*H` above it (`D` = 2 if
    bidirectional, else 1). Gates are stacked in PyTorch's order.

    The results are the last layer's output at every step, `[T, B, D*H]`
    (or batch-first), and the final hidden state of every layer and
    direction, `[num_layers*D, B, H]`}];
  code commonDescription = [{
    With no `initial` states, they start at zero.

    An optional `mask` (`f32`, the input's first two dimensions then 1:
    `[B, T, 1]` batch-first, `[T, B, 1]` time-major) marks each sequence's
    real steps, 1s followed by 0s, as for `nn.reduce`. The layer then
    computes what PyTorch computes on a `pack_padded_sequence` of the
    sequences' lengths: the reverse direction starts at each sequence's last
    real step, outputs past a sequence's length are 0, and `h_n` holds each
    sequence's state at its last real step (its first, for the reverse
    direction). `c_n` is not computed with a mask (it is 0 and must have no
    use); a mask row that is not 1s then 0s is a run-time error.

    On CPU each layer runs as a oneDNN RNN primitive (one per direction
    with a mask), forward and backward; the parameters are repacked into
    oneDNN's layouts once per step (docs/Recurrent.md).
  }];
  let results = (outs NN_FloatTensor:$output, NN_FloatTensor:$h_n);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The layer stack this op describes.
    ::nngc::nn::RecurrentConfig getConfig();
    /// The initial states given (h0, and c0 for an LSTM), or none.
    ::llvm::SmallVector<::mlir::Value> getInitialStates();
  }];
}

def NN_RNNOp : NN_RecurrentOp<"rnn", "RNN", "h' = act(W_ih x + b_ih + W_hh h + b_hh)", "1"> {
  let description = !strconcat(recurrentDescription, [{.
    `nonlinearity = relu` (after the weights) selects ReLU; the default is
    tanh.
  }], commonDescription, [{

    ```mlir
    %y, %hn = nn.rnn %x weights(%wih, %whh, %bih, %bhh)
        : tensor<64x8x10xf32> weights(tensor<20x10xf32>, tensor<20x20xf32>,
          tensor<20xf32>, tensor<20xf32>) -> tensor<64x8x20xf32>, tensor<1x8x20xf32>
    ```
  }]);
  let arguments = (ins NN_FloatTensor:$input, Optional<NN_FloatTensor>:$mask,
      Optional<NN_FloatTensor>:$h0,
      Variadic<NN_FloatTensor>:$weights,
      DefaultValuedAttr<I64Attr, "1">:$num_layers, UnitAttr:$bidirectional,
      UnitAttr:$batch_first, DefaultValuedAttr<F64Attr, "0.0">:$dropout,
      DefaultValuedAttr<NN_RNNNonlinearityAttr,
                        "::nngc::nn::RNNNonlinearity::tanh">:$nonlinearity);
  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `:` type($mask) `)`)? (`initial` `(` $h0^ `)`)?
    `weights` `(` $weights `)` (`nonlinearity` `=` $nonlinearity^)? attr-dict
    `:` type($input)
    (`initial` `(` type($h0)^ `)`)? `weights` `(` type($weights) `)` `->`
    type($output) `,` type($h_n)
  }];
}

def NN_GRUOp : NN_RecurrentOp<"gru", "GRU", "gates r, z, n; h' = (1 - z) n + z h", "3"> {
  let description = !strconcat(recurrentDescription, [{.
    On CPU this is oneDNN's `lbr_gru` (the reset gate applied after the
    hidden projection, PyTorch's formulation).
  }], commonDescription, [{

    ```mlir
    %y, %hn = nn.gru %x weights(%wih, %whh, %bih, %bhh) {batch_first}
        : tensor<8x64x10xf32> weights(tensor<60x10xf32>, tensor<60x20xf32>,
          tensor<60xf32>, tensor<60xf32>) -> tensor<8x64x20xf32>, tensor<1x8x20xf32>
    ```
  }]);
  let arguments = (ins NN_FloatTensor:$input, Optional<NN_FloatTensor>:$mask,
      Optional<NN_FloatTensor>:$h0,
      Variadic<NN_FloatTensor>:$weights,
      DefaultValuedAttr<I64Attr, "1">:$num_layers, UnitAttr:$bidirectional,
      UnitAttr:$batch_first, DefaultValuedAttr<F64Attr, "0.0">:$dropout);
  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `:` type($mask) `)`)? (`initial` `(` $h0^ `)`)?
    `weights` `(` $weights `)` attr-dict `:` type($input)
    (`initial` `(` type($h0)^ `)`)? `weights` `(`
    type($weights) `)` `->` type($output) `,` type($h_n)
  }];
}

def NN_LSTMOp : NN_RecurrentOp<"lstm", "LSTM", "gates i, f, g, o and a cell state", "4"> {
  let description = !strconcat(recurrentDescription, [{, plus the final cell states
    `c_n` of the same shape. `initial` takes both `h0` and `c0`.
  }], commonDescription, [{

    ```mlir
    %y, %hn, %cn = nn.lstm %x initial(%h0, %c0) weights(%wih, %whh, %bih, %bhh)
        : tensor<64x8x10xf32> initial(tensor<1x8x20xf32>, tensor<1x8x20xf32>)
          weights(tensor<80x10xf32>, tensor<80x20xf32>, tensor<80xf32>, tensor<80xf32>)
          -> tensor<64x8x20xf32>, tensor<1x8x20xf32>, tensor<1x8x20xf32>
    ```
  }]);
  let arguments = (ins NN_FloatTensor:$input, Optional<NN_FloatTensor>:$mask,
      Optional<NN_FloatTensor>:$h0,
      Optional<NN_FloatTensor>:$c0, Variadic<NN_FloatTensor>:$weights,
      DefaultValuedAttr<I64Attr, "1">:$num_layers, UnitAttr:$bidirectional,
      UnitAttr:$batch_first, DefaultValuedAttr<F64Attr, "0.0">:$dropout);
  let results = (outs NN_FloatTensor:$output, NN_FloatTensor:$h_n,
                      NN_FloatTensor:$c_n);
  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `:` type($mask) `)`)?
    (`initial` `(` $h0^ `,` $c0 `)`)? `weights` `(` $weights `)` attr-dict `:` type($input) (`initial` `(` type($h0)^ `,` type($c0) `)`)?
    `weights` `(` type($weights) `)` `->` type($output) `,` type($h_n) `,`
    type($c_n)
  }];
}

def NN_RNNGradOp : NN_Op<"rnn_grad", [Pure, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "Backward of nn.rnn, nn.gru and nn.lstm";
  let description = [{
    `inputs` are the forward op's operands, `outputs` its results and
    `output_grads` the cotangents of those results (zeros where the loss
    does not use one). The results are the cotangents of `inputs`, one per
    operand, in order (a `mask` gets a zero cotangent). The attributes
    repeat the forward op's; `mode` names its cell. It reuses the forward op's oneDNN workspace, so it must
    follow that op in the same step.
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$inputs,
      Variadic<NN_FloatTensor>:$outputs,
      Variadic<NN_FloatTensor>:$output_grads, NN_RecurrentModeAttr:$mode,
      I64Attr:$num_layers, UnitAttr:$bidirectional, UnitAttr:$batch_first,
      F64Attr:$dropout, UnitAttr:$has_initial, UnitAttr:$has_mask);
  let results = (outs Variadic<NN_FloatTensor>:$results);
  let assemblyFormat = [{
    $mode `inputs` `(` $inputs `:` type($inputs) `)` `outputs` `(` $outputs
    `:` type($outputs) `)` `grads` `(` $output_grads `:` type($output_grads)
    `)` attr-dict `->` type($results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::nngc::nn::RecurrentConfig getConfig();
  }];
}

//===----------------------------------------------------------------------===//
// Dropout.
//===----------------------------------------------------------------------===//

def NN_DropoutOp : NN_DiffOp<"dropout", [SameOperandsAndResultType,
                                          NN_PositionWise, NN_KeepsState,
                                          InPlaceOpInterface]> {
  let summary = "torch.nn.functional.dropout (training only)";
  let description = [{
    While training, zeroes each element with probability `p` and scales the
    others by `1 / (1 - p)`; in `eval` and `predict` it is the identity. The
    mask is a counter-based hash of the trainer's `--seed`, the optimizer
    step and the element's index, so a run is reproducible and the backward
    pass regenerates the mask instead of storing it.

    ```mlir
    %d = nn.dropout %h {p = 0.2} : tensor<32x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, F64Attr:$p);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def NN_DropoutGradOp : NN_Op<"dropout_grad",
    [Pure, AllTypesMatch<["grad", "saved", "result"]>, InPlaceOpInterface,
     DeclareOpInterfaceMethods<OperandReadOpInterface>]> {
  let summary = "Backward of nn.dropout";
  let description = [{
    `grad` masked and scaled as the forward op (whose result is `saved`)
    masked its input: the same mask, regenerated. `saved` only names the
    forward op (its data is not read, and the memory plan need not keep
    it).
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$saved, F64Attr:$p);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad `,` $saved attr-dict `:` type($result)";
}

#endif // NNGC_DIALECT_NN_IR_NNSEQUENCEOPS_TD
