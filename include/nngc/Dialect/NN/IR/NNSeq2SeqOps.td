//===- NNSeq2SeqOps.td - attention of recurrent decoders ----*- tablegen -*-===//
//
// The attention forms of recurrent encoder-decoder models: Bahdanau's
// additive attention and Luong's multiplicative attention. Both are
// composite ops: nngc-decompose rewrites them into linear, elementwise,
// softmax and batched matmul ops (DecomposeOpInterface), which carry the
// VJPs and the lowering. A Transformer decoder's cross-attention is
// nn.multihead_attention with the encoder's output as key and value.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNSEQ2SEQOPS_TD
#define NNGC_DIALECT_NN_IR_NNSEQ2SEQOPS_TD

class NN_RecurrentAttentionOp<string mnemonic, string summaryText>
    : NN_Op<mnemonic, [Pure, AttrSizedOperandSegments,
                       DeclareOpInterfaceMethods<DecomposeOpInterface>]> {
  let summary = summaryText;
  let arguments = (ins NN_FloatTensor:$query, NN_FloatTensor:$keys,
                       NN_FloatTensor:$values,
                       Optional<NN_FloatTensor>:$key_padding_mask,
                       Variadic<NN_FloatTensor>:$weights,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $keys `,` $values
    (`key_padding_mask` `(` $key_padding_mask^ `:` type($key_padding_mask) `)`)?
    (`weights` `(` $weights^ `:` type($weights) `)`)? attr-dict `:`
    type($query) `,` type($keys) `,` type($values) `->` type($result)
  }];
  let hasVerifier = 1;
}

def NN_AdditiveAttentionOp : NN_RecurrentAttentionOp<"additive_attention",
    "Bahdanau (additive) attention"> {
  let description = [{
    `query` is `[B, Tq, Q]` (the decoder's states), `keys` `[B, Tk, K]`
    and `values` `[B, Tk, C]` (the encoder's outputs; usually one value
    for both). Per batch row, query `i` and key `j`:

        score[i, j] = v . tanh(W q_i + U k_j)
        result[i]   = sum_j softmax_j(score[i, :])[j] * values[j]

    `weights` are `nn.Linear` weights in PyTorch's layout, in the order of
    the PyTorch seq2seq tutorial module's `state_dict` (`Wa`, `Ua`, `Va`):
    `W [A, Q]`, `U [A, K]`, `v [1, A]`, or with biases `W, W.bias [A], U,
    U.bias [A], v`. A bias of `v` (the tutorial's `Va.bias`) adds the same
    number to every score, which the softmax cancels (its gradient is 0), so
    the op takes none. `key_padding_mask` (`f32`, `[B, Tk]` or `[B, Tk, 1]`,
    1 for a real key and 0 for padding, as nn.attention's) gives padded
    keys probability 0. `scale` multiplies the scores (default 1). The
    result is `[B, Tq, C]`: the context vectors, which the model combines
    with the decoder's states itself (`nn.concat`, `nn.linear`).

    The decoder's states here are its outputs at the same step (Luong's
    arrangement, which lets all steps attend at once under teacher
    forcing); Bahdanau's original attends from the previous state and
    feeds the context into the recurrence, which needs a recurrent op with
    attention inside and is not provided.

    `nngc-decompose` rewrites it into `nn.linear` (the two projections and
    `v`), `nn.reshape` and a broadcasting `nn.add` to `[B, Tq, Tk, A]`,
    `nn.tanh`, the masked `nn.softmax` and an `nn.matmul`. The backward
    keeps the `[B, Tq, Tk, A]` tanh (B x Tq x Tk x A floats). A query row
    whose keys are all padding attends to all keys uniformly (PyTorch's
    masked_fill with -inf gives NaN there).

    ```mlir
    %ctx = nn.additive_attention %dec, %enc, %enc key_padding_mask(%m : tensor<16x20x1xf32>)
        weights(%wa, %ba, %ua, %bu, %va : tensor<64x128xf32>, tensor<64xf32>, tensor<64x128xf32>, tensor<64xf32>, tensor<1x64xf32>)
        : tensor<16x18x128xf32>, tensor<16x20x128xf32>, tensor<16x20x128xf32> -> tensor<16x18x128xf32>
    ```
  }];
  let extraClassDeclaration = [{
    bool hasBias() { return getWeights().size() == 5; }
    ::mlir::Value getQueryWeight() { return getWeights()[0]; }
    ::mlir::Value getQueryBias() {
      return hasBias() ? getWeights()[1] : ::mlir::Value();
    }
    ::mlir::Value getKeyWeight() { return getWeights()[hasBias() ? 2 : 1]; }
    ::mlir::Value getKeyBias() {
      return hasBias() ? getWeights()[3] : ::mlir::Value();
    }
    ::mlir::Value getScoreWeight() { return getWeights()[hasBias() ? 4 : 2]; }
  }];
}

def NN_MultiplicativeAttentionOp : NN_RecurrentAttentionOp<
    "multiplicative_attention", "Luong (multiplicative) attention"> {
  let description = [{
    `query` `[B, Tq, Q]`, `keys` `[B, Tk, K]`, `values` `[B, Tk, C]` as
    for `nn.additive_attention`. Luong's "dot" score without weights
    (`Q = K`), his "general" score with one weight `W [Q, K]` (an
    `nn.Linear(K, Q, bias=False)` weight applied to the keys):

        score[i, j] = scale * q_i . k_j          (dot)
        score[i, j] = scale * q_i . (W k_j)      (general)
        result[i]   = sum_j softmax_j(score[i, :])[j] * values[j]

    `scale` defaults to 1 (Luong's); `scale = 1/sqrt(Q)` is the scaled
    dot product. `key_padding_mask` as for `nn.additive_attention`.

    `nngc-decompose` rewrites it into `nn.linear` (general), a batched
    `nn.matmul` for the scores, the masked `nn.softmax` and a batched
    `nn.matmul` for the context.

    ```mlir
    %ctx = nn.multiplicative_attention %dec, %enc, %enc key_padding_mask(%m : tensor<16x20x1xf32>)
        weights(%wa : tensor<128x128xf32>)
        : tensor<16x18x128xf32>, tensor<16x20x128xf32>, tensor<16x20x128xf32> -> tensor<16x18x128xf32>
    ```
  }];
}

#endif // NNGC_DIALECT_NN_IR_NNSEQ2SEQOPS_TD
