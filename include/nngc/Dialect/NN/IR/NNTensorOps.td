//===- NNTensorOps.td - reductions, slices, concatenation --*- tablegen -*-===//
//
// The tensor plumbing around sequence models: pooling over time (optionally
// masked, so padding does not count), taking one time step, joining
// features. Every op views its operands as [outer, axis, inner] around its
// `axis`; negative axes count from the end, as in PyTorch.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNTENSOROPS_TD
#define NNGC_DIALECT_NN_IR_NNTENSOROPS_TD

def NN_ReduceOp : NN_DiffOp<"reduce"> {
  let summary = "Sum, mean or max over one axis, optionally masked";
  let description = [{
    `torch.sum`/`torch.mean`/`torch.amax` over `axis`. The result drops the
    axis, or keeps it with size 1 when its rank equals the input's
    (`keepdim=True`).

    The optional `mask` (`f32`, 1 for a real element, 0 for padding) has
    the input's leading dimensions, up to and including `axis` at least,
    followed by dimensions of size 1: `[B, T, 1]` masks a `[B, T, C]`
    sequence. Masked elements are left out: `sum` skips them, `mean`
    divides by the number of unmasked elements (the length of each
    sequence), `max` ignores them. A slice whose elements are all masked
    reduces to 0 and gets no gradient.

    The gradient of `max` goes to the first maximal element, as
    `torch.max(x, dim)` does.

    ```mlir
    %pooled = nn.reduce mean %h mask(%m : tensor<32x64x1xf32>) {axis = 1} : tensor<32x64x256xf32> -> tensor<32x256xf32>
    ```
  }];
  let arguments = (ins NN_ReduceKindAttr:$kind, NN_FloatTensor:$input,
                       Optional<NN_FloatTensor>:$mask, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict `:`
    type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// `axis` in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def NN_ReduceGradOp : NN_Op<"reduce_grad",
    [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "Backward of nn.reduce";
  let description = [{
    The cotangent of `input` given that of the reduction's `output`:
    broadcast (sum), broadcast and divided by the count (mean), or routed
    to the first maximal element (max); masked elements get 0.
  }];
  let arguments = (ins NN_ReduceKindAttr:$kind, NN_FloatTensor:$grad,
                       NN_FloatTensor:$input, NN_FloatTensor:$output,
                       Optional<NN_FloatTensor>:$mask, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $grad `,` $input `,` $output (`mask` `(` $mask^ `:` type($mask) `)`)?
    attr-dict `:` type($grad) `,` type($input) `,` type($output)
  }];
}

def NN_SliceOp : NN_DiffOp<"slice"> {
  let summary = "A contiguous range along one axis (torch.narrow)";
  let description = [{
    Elements `start` to `start + n - 1` along `axis`, where `n` is the
    result's size there; every other dimension is unchanged. `start` may be
    negative (counted from the end).

    ```mlir
    %last = nn.slice %h {axis = 1, start = -1} : tensor<32x64x256xf32> -> tensor<32x1x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis, I64Attr:$start);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNormalizedAxis();
    int64_t getNormalizedStart();
  }];
}

def NN_SelectOp : NN_DiffOp<"select"> {
  let summary = "One index along one axis, which is dropped (torch.select)";
  let description = [{
    `x[:, index]` for `axis = 1`: the result has the input's shape without
    `axis`. `index` may be negative: `-1` is the last time step.

    ```mlir
    %last = nn.select %h {axis = 1, index = -1} : tensor<32x64x256xf32> -> tensor<32x256xf32>
    ```
  }];
  let arguments = (ins NN_FloatTensor:$input, I64Attr:$axis, I64Attr:$index);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNormalizedAxis();
    int64_t getNormalizedIndex();
  }];
}

def NN_SliceGradOp : NN_Op<"slice_grad", [Pure]> {
  let summary = "Backward of nn.slice and nn.select: place into zeros";
  let description = [{
    A zero tensor of the result type with `grad` written at `start` along
    `axis` (`grad` has the result's rank, its size along `axis` is the
    slice's).
  }];
  let arguments = (ins NN_FloatTensor:$grad, I64Attr:$axis, I64Attr:$start);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($result)";
  let hasVerifier = 1;
}

def NN_ConcatOp : NN_DiffOp<"concat"> {
  let summary = "Join tensors along one axis (torch.cat)";
  let description = [{
    The operands agree on every dimension but `axis`; the result's size
    there is the sum of theirs.

    ```mlir
    %hc = nn.concat %h, %c {axis = 1} : tensor<32x256xf32>, tensor<32x256xf32> -> tensor<32x512xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$inputs, I64Attr:$axis);
  let results = (outs NN_FloatTensor:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` type($inputs) `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNormalizedAxis();
  }];
}

#endif // NNGC_DIALECT_NN_IR_NNTENSOROPS_TD
