//===- NNTransformerOps.td - layer norm, attention, positions -*- tablegen -*-===//
//
// The ops a Transformer adds to the sequence ops: layer normalisation,
// multi-head scaled dot-product attention and position tables, with the
// backward ops nngc-autodiff emits for them.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNTRANSFORMEROPS_TD
#define NNGC_DIALECT_NN_IR_NNTRANSFORMEROPS_TD

def NN_LayerNormOp : NN_DiffOp<"layer_norm", [AttrSizedOperandSegments,
    NN_KeepsState, NN_RecomputableState,
    AllTypesMatch<["input", "result"]>, NN_PositionWise]> {
  let summary = "torch.nn.functional.layer_norm over the last dimensions";
  let description = [{
    Normalises `input` over its trailing dimensions, PyTorch's
    `normalized_shape`, which is the shape of `weight` and `bias` when they
    are given (otherwise the last dimension, or `normalized_dims` of them):
    `(x - mean) / sqrt(var + eps) * weight + bias` with the biased
    variance. Either affine parameter may be left out (nanoGPT's LayerNorm
    has no bias; `elementwise_affine=False` has neither).

    On CPU it is oneDNN's layer normalisation, forward and backward; the
    forward keeps each row's mean and variance for the backward.

    ```mlir
    %y = nn.layer_norm %x weight(%w : tensor<128xf32>) bias(%b : tensor<128xf32>) : tensor<12x64x128xf32>
    %z = nn.layer_norm %x weight(%w : tensor<128xf32>) {eps = 1.0e-6 : f64} : tensor<12x64x128xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input,
                       Optional<NN_FloatTensor>:$weight,
                       Optional<NN_FloatTensor>:$bias,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$eps,
                       OptionalAttr<I64Attr>:$normalized_dims);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $input (`weight` `(` $weight^ `:` type($weight) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Elements normalised together (the product of normalized_shape).
    int64_t getNormalizedSize();
    /// The rank of normalized_shape: the affine parameters', else
    /// `normalized_dims`, else 1.
    int64_t getNormalizedRank();
  }];
}

def NN_LayerNormGradOp : NN_Op<"layer_norm_grad", [Pure,
    AttrSizedOperandSegments, AllTypesMatch<["grad", "input", "output"]>,
    DeclareOpInterfaceMethods<OperandReadOpInterface>]> {
  let summary = "Backward of nn.layer_norm";
  let description = [{
    Given the cotangent of the result (`grad`), the forward op's operands
    and its `output`, the cotangents of the input, then of the weight and
    bias where the forward op has them. It reads the mean and variance the
    forward op kept, so it must follow it in the same step; `output` only
    names that op (its data is not read, and the memory plan need not keep
    it).
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$input,
                       Optional<NN_FloatTensor>:$weight,
                       Optional<NN_FloatTensor>:$bias,
                       NN_FloatTensor:$output, F64Attr:$eps,
                       I64Attr:$normalized_dims);
  let results = (outs Variadic<NN_FloatTensor>:$results);
  let assemblyFormat = [{
    $grad `,` $input (`weight` `(` $weight^ `:` type($weight) `)`)?
    (`bias` `(` $bias^ `:` type($bias) `)`)? `output` `(` $output `)`
    attr-dict `:` type($input) `->` type($results)
  }];
}

def NN_AttentionOp : NN_DiffOp<"attention", [InferTypeOpAdaptor, NN_KeepsState,
    DeclareOpInterfaceMethods<FlopCountOpInterface>]> {
  let summary = "Multi-head scaled dot-product attention (torch's SDPA)";
  let description = [{
    `query` is `[B, Tq, C]`, `key` and `value` are `[B, Tk, C]`; each is
    split into `heads` heads of `C / heads` features (the layout of
    `view(B, T, heads, C / heads)`), and per batch row and head

        softmax(Q K^T * scale + mask) V

    with `scale` = 1 / sqrt(C / heads) unless given. The heads are joined
    back into `[B, Tq, C]`: the input of the output projection in
    nanoGPT's `CausalSelfAttention` and in `nn.MultiheadAttention`. The
    projections themselves are `nn.linear` ops (nanoGPT's `c_attn` and
    `c_proj`), or come with `nn.multihead_attention`.

    `causal` lets query `i` see keys `0..i` only (`is_causal`, nanoGPT's
    `tril` mask; it needs `Tq = Tk`). `key_padding_mask` (`f32`, `[B, Tk]`
    or `[B, Tk, 1]`, 1 for a real token and 0 for padding, as
    `nn.reduce`'s mask) hides padded keys: PyTorch's `key_padding_mask`
    with the opposite sign. A row with no visible key is a run-time error
    (PyTorch returns NaN there). `dropout` drops attention probabilities
    while training (`attn_dropout`), with the mask drawn as by
    `nn.dropout`.

    On CPU the products are oneDNN batched matmuls over strided views of
    the `[B, T, C]` tensors (no transposes are materialised), and the
    softmax a oneDNN softmax. The forward keeps the probabilities,
    `[B, heads, Tq, Tk]`, for the backward: one such tensor per layer,
    and a scratch tensor of that size, shared by all layers, during the
    backward.

    ```mlir
    %y = nn.attention %q, %k, %v {heads = 4, causal} : tensor<12x64x128xf32>, tensor<12x64x128xf32>, tensor<12x64x128xf32>
    %z = nn.attention %q, %k, %v key_padding_mask(%m : tensor<16x128x1xf32>) {heads = 4} : tensor<16x128x256xf32>, tensor<16x128x256xf32>, tensor<16x128x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$query, NN_FloatTensor:$key,
                       NN_FloatTensor:$value,
                       Optional<NN_FloatTensor>:$key_padding_mask,
                       I64Attr:$heads, UnitAttr:$causal,
                       DefaultValuedAttr<F64Attr, "0.0">:$dropout,
                       OptionalAttr<F64Attr>:$scale);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`key_padding_mask` `(` $key_padding_mask^ `:` type($key_padding_mask) `)`)?
    attr-dict `:` type($query) `,` type($key) `,` type($value)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax's scale: `scale`, or 1 / sqrt(C / heads).
    double getScaleValue();
    /// B * heads * Tq * Tk: the probabilities it keeps for its backward.
    int64_t getNumScores();
    /// The scores product and the softmax (what a backward that
    /// recomputes the probabilities runs again).
    int64_t getScoresFlops();
    /// Whether an nn.attention_grad reads this op's result (and so its
    /// kept probabilities).
    bool hasBackward();
  }];
}

def NN_AttentionGradOp : NN_Op<"attention_grad", [Pure,
    AllTypesMatch<["query", "grad", "output"]>,
    DeclareOpInterfaceMethods<FlopCountOpInterface>,
    DeclareOpInterfaceMethods<OperandReadOpInterface>]> {
  let summary = "Backward of nn.attention";
  let description = [{
    The cotangents of `query`, `key` and `value`, given that of the result
    (`grad`), the forward op's operands and its `output`. It reads the
    probabilities the forward op kept (and regenerates its dropout mask),
    so it must follow it in the same step; `output` only names that op
    (its data is not read).
  }];
  let arguments = (ins NN_FloatTensor:$grad, NN_FloatTensor:$query,
                       NN_FloatTensor:$key, NN_FloatTensor:$value,
                       Optional<NN_FloatTensor>:$key_padding_mask,
                       NN_FloatTensor:$output, I64Attr:$heads,
                       UnitAttr:$causal, F64Attr:$dropout, F64Attr:$scale);
  let results = (outs NN_FloatTensor:$query_grad, NN_FloatTensor:$key_grad,
                      NN_FloatTensor:$value_grad);
  let assemblyFormat = [{
    $grad `,` $query `,` $key `,` $value
    (`key_padding_mask` `(` $key_padding_mask^ `:` type($key_padding_mask) `)`)?
    `output` `(` $output `)` attr-dict `:` type($query) `,` type($key) `,`
    type($value) `->` type($query_grad) `,` type($key_grad) `,`
    type($value_grad)
  }];
  let hasVerifier = 1;
}

def NN_MultiheadAttentionOp : NN_Op<"multihead_attention",
    [Pure, AttrSizedOperandSegments,
     DeclareOpInterfaceMethods<DecomposeOpInterface>]> {
  let summary = "torch.nn.MultiheadAttention (batch_first), projections inside";
  let description = [{
    `nn.attention` with PyTorch's `nn.MultiheadAttention` projections and
    parameter layout: `weights` are `in_proj_weight [3C, C]`, then, unless
    the module has `bias=False`, `in_proj_bias [3C]`, then
    `out_proj.weight [C, C]` and, with biases, `out_proj.bias [C]` (the
    order of its `state_dict`). Query, key and value are projected by the
    three row blocks of `in_proj_weight`, attended over as by
    `nn.attention` (`heads`, `causal`, `key_padding_mask` with 1 for a real
    token, `dropout` on the attention probabilities), and projected by
    `out_proj`. The result is the module's first output; the averaged
    attention weights (its second) are not computed.

    `nngc-decompose` rewrites it into `nn.linear`, `nn.slice` and
    `nn.attention` ops before differentiation (one `[3C, C]` projection
    when query, key and value are one value, as PyTorch's self-attention
    fast path does).

    ```mlir
    %y = nn.multihead_attention %x, %x, %x key_padding_mask(%m : tensor<16x64x1xf32>)
        weights(%in_w, %in_b, %out_w, %out_b) {heads = 4, dropout = 0.1}
        : tensor<16x64x256xf32>, tensor<16x64x256xf32>, tensor<16x64x256xf32>
          weights(tensor<768x256xf32>, tensor<768xf32>, tensor<256x256xf32>, tensor<256xf32>)
    ```
  }];
  let arguments = (ins NN_FloatTensor:$query, NN_FloatTensor:$key,
                       NN_FloatTensor:$value,
                       Optional<NN_FloatTensor>:$key_padding_mask,
                       Variadic<NN_FloatTensor>:$weights,
                       I64Attr:$heads, UnitAttr:$causal,
                       DefaultValuedAttr<F64Attr, "0.0">:$dropout);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`key_padding_mask` `(` $key_padding_mask^ `:` type($key_padding_mask) `)`)?
    `weights` `(` $weights `)` attr-dict `:` type($query) `,` type($key) `,`
    type($value) `weights` `(` type($weights) `)` `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool hasBias() { return getWeights().size() == 4; }
    ::mlir::Value getInProjWeight() { return getWeights()[0]; }
    ::mlir::Value getInProjBias() {
      return hasBias() ? getWeights()[1] : ::mlir::Value();
    }
    ::mlir::Value getOutProjWeight() { return getWeights()[hasBias() ? 2 : 1]; }
    ::mlir::Value getOutProjBias() {
      return hasBias() ? getWeights()[3] : ::mlir::Value();
    }
  }];
}

def NN_CachedAttentionOp : NN_Op<"cached_attention", [Pure,
    AllTypesMatch<["query", "key", "value", "result"]>,
    AllTypesMatch<["key_cache", "value_cache", "key_cache_out",
                   "value_cache_out"]>]> {
  let summary = "One token of causal self-attention over a key/value cache";
  let description = [{
    What `nngc-derive-step` turns a causal `nn.attention` into in a step
    model: `query`, `key` and `value` are one token's per sequence,
    `[B, 1, C]` (B = 1 for a language model's sampler, the batch for a
    translator's decoder); the caches `[B, T, C]` hold the keys and values
    of positions `0..position - 1`. The results are the attention of each
    query over positions `0..position` of its own sequence, and the caches
    with this token's key and value written at `position` (the step model
    carries them to its next call). All B sequences are at one position.

    ```mlir
    %y, %kc2, %vc2 = nn.cached_attention %q, %k, %v cache(%kc, %vc) at %pos {heads = 4 : i64, scale = 0.17677669529663687 : f64}
        : tensor<1x1x128xf32>, tensor<1x64x128xf32>, tensor<1xi64>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$query, NN_FloatTensor:$key,
                       NN_FloatTensor:$value, NN_FloatTensor:$key_cache,
                       NN_FloatTensor:$value_cache,
                       StaticShapeTensorOf<[I64]>:$position, I64Attr:$heads,
                       F64Attr:$scale);
  let results = (outs NN_FloatTensor:$result, NN_FloatTensor:$key_cache_out,
                      NN_FloatTensor:$value_cache_out);
  let assemblyFormat = [{
    $query `,` $key `,` $value `cache` `(` $key_cache `,` $value_cache `)`
    `at` $position attr-dict `:` type($query) `,` type($key_cache) `,`
    type($position)
  }];
  let hasVerifier = 1;
}

def NN_ArangeOp : NN_Op<"arange", [Pure]> {
  let summary = "0, 1, ..., n - 1 as i64 (torch.arange(n))";
  let description = [{
    The positions of a sequence, for a learned positional embedding
    (nanoGPT's `wpe(arange(T))`):

    ```mlir
    %pos = nn.arange : tensor<64xi64>
    %p = nn.embedding %pos, %wpe : tensor<64xi64>, tensor<64x128xf32>
    ```
  }];
  let results = (outs StaticShapeTensorOf<[I64]>:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def NN_SinusoidalPositionsOp : NN_Op<"sinusoidal_positions", [Pure]> {
  let summary = "The fixed sine/cosine position table of 'Attention is all you need'";
  let description = [{
    A `[T, C]` table (C even): `pe[t, 2i] = sin(t / 10000^(2i/C))`,
    `pe[t, 2i + 1] = cos(t / 10000^(2i/C))`, as the PyTorch tutorials'
    `PositionalEncoding` builds it. It is data, not a parameter; add it to
    the token embeddings (`nn.add` broadcasts it over the batch).

    ```mlir
    %pe = nn.sinusoidal_positions : tensor<128x256xf32>
    ```
  }];
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

#endif // NNGC_DIALECT_NN_IR_NNTRANSFORMEROPS_TD
