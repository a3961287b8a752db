//===- Passes.td - nn dialect transformation passes --------*- tablegen -*-===//

#ifndef NNGC_DIALECT_NN_TRANSFORMS_PASSES_TD
#define NNGC_DIALECT_NN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNDecomposePass : Pass<"nngc-decompose", "mlir::ModuleOp"> {
  let summary = "Rewrite composite ops into the layer ops they are made of";
  let description = [{
    Every op with the `DecomposeOpInterface` is replaced by the ops it is
    made of, with PyTorch's parameters used as they are:
    `nn.multihead_attention` becomes its input projection (`nn.linear`, with
    `nn.slice` to split query, key and value), `nn.attention` and its output
    projection (`nn.linear`); `nn.additive_attention` and
    `nn.multiplicative_attention` become projections, scores, a masked
    `nn.softmax` and a batched `nn.matmul`. Runs first, so that every later
    pass sees only primitive ops.
  }];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNAutodiffPass : Pass<"nngc-autodiff", "mlir::ModuleOp"> {
  let summary = "Reverse-mode differentiation of each model's loss";
  let description = [{
    For every `nn.model` with an `nn.minimize`, sorts the body
    topologically, seeds the loss's cotangent with 1, and walks the ops
    backwards asking each op on a path from a parameter to the loss for its
    vector-Jacobian product (`VJPOpInterface`). Cotangents of a value used
    several times are summed with `nn.add`. Each parameter's gradient ends in
    an `nn.gradient` op; a parameter the loss does not depend on gets a zero
    gradient. An op on such a path without a VJP is an error that names it.
  }];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNDeriveStepPass : Pass<"nngc-derive-step", "mlir::ModuleOp"> {
  let summary = "One-token decoding models: a language model's step model, "
                "a translator's encode and step models";
  let description = [{
    For a model that reads token ids `[B, T]` (an `i64` input of an
    `nn.embedding`; `tgt_in` is tried first) and has outputs `[B, T, ...]`,
    clones the outputs' forward path into a second model,
    `@<name>_step` with `nngc.step_of = @<name>`, specialised to one token
    per sequence. Its recurrent layers take their initial states from
    inputs (`rnn<k>.h0`, `rnn<k>.c0`, marked `nngc.carried_from` and
    `nngc.batch_axis`) and return their final states as outputs
    (`rnn<k>.h_n`, `rnn<k>.c_n`); causal self-attention becomes
    `nn.cached_attention` over carried key/value caches; `nn.arange`
    becomes the token's `position` input. A decoder runs one token per
    call and carries the states.

    A translator's outputs also read inputs besides the token ids (the
    source). The values computed from those alone that the decoder reads
    (the encoder's outputs and final state, the cross-attention's projected
    keys and values, the padding mask) go to a third model,
    `@<name>_encode` with `nngc.encode_of = @<name>`, as outputs
    `encoded.<i>`; the step model reads them as inputs marked
    `nngc.from_encode`, or starts a recurrent state from one
    (`nngc.initial_from`). A translator's step model keeps the batch; a
    language model's has batch 1.

    On the path from the ids to the outputs every op that depends on the
    ids or the positions must be `NN_PositionWise`, a slice, concat or
    softmax of features, a reshape that keeps `[B, T]`, a matmul whose
    right-hand side does not depend on them, attention over keys and
    values that do not (cross-attention), causal self-attention, or a
    unidirectional batch-first recurrent layer without a mask (whose
    initial state, if any, comes from the source). Otherwise the model
    gets `nngc.step_note` saying why, and no derived models. Derived models
    hold every parameter in the model's order, so all share one parameter
    buffer.
  }];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNOptimizerPass : Pass<"nngc-optimizer", "mlir::ModuleOp"> {
  let summary = "Expand nn.minimize into optimizer state and update ops";
  let description = [{
    Runs after `nngc-autodiff`. Replaces `nn.minimize %loss with #opt` by
    `nn.loss %loss` and, for each parameter, the optimizer's state
    (`nn.state`, named `optimizer.<param>.<buffer>` as in the checkpoint) and
    one in-place update op (`nn.sgd_update` or `nn.adam_update`) with
    torch.optim's formula. The optimizer attribute is kept on the model as
    `nn.optimizer` for the trainer.
  }];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNFusePass : Pass<"nngc-fuse", "mlir::ModuleOp"> {
  let summary = "Fewer kernels for the same arithmetic";
  let description = [{
    Runs on the training graph, after `nngc-optimizer`:

    * a matrix product (`nn.linear`, `nn.matmul`) followed by `relu`,
      `leaky_relu` (slope >= 0), `tanh` or `sigmoid` becomes one
      `nn.fused_matmul` with that activation as a oneDNN eltwise post-op,
      when nothing else reads the product (a `relu_grad` of it is switched
      to read the activation's result, `from_result`, which gives the same
      gradient). GELU is refused: its backward needs the product;
    * `product + x` of one type (a residual connection, the sum of two
      cotangents) becomes `nn.fused_matmul` with `x` as its addend (a sum
      post-op in place when the memory plan lets the result overwrite `x`,
      a binary-add post-op otherwise), when nothing else reads the
      product; a reshape between the two is looked through. A broadcasting
      add is refused;
    * a tree of adds of `nn.slice_grad`s that tile one axis exactly (the
      backward of slicing one tensor into pieces, such as nanoGPT's
      query, key and value) becomes one `nn.concat`;
    * every `nn.adam_update` (or `nn.sgd_update`) of the model becomes one
      `nn.multi_adam_update` (`nn.multi_sgd_update`): one parallel loop
      over all parameters, each element with the single-tensor formula.

    * with `dropout-add` (the CUDA target's), `x + dropout(h)` of one type,
      where nothing else reads the dropout's result (its `nn.dropout_grad`
      names it without reading it), becomes one `nn.dropout_add`, which
      the backward then names; refused when an op that keeps state lies
      between the two (the masks' keys follow their order).

    The model records how many kernels it had before
    (`nngc.kernels_before_fusion`) for `nngc compile --report`.
  }];
  let options = [
    Option<"epilogues", "epilogues", "bool", /*default=*/"true",
           "Fuse activations and addends into matrix products">,
    Option<"cublasEpilogues", "cublas-epilogues", "bool", /*default=*/"false",
           "With epilogues: only those cuBLASLt computes in nngc's order "
           "(--target=cuda): ReLU, and an addend on a product without an "
           "activation">,
    Option<"slices", "slices", "bool", /*default=*/"true",
           "Turn sums of slice gradients into concatenations">,
    Option<"updates", "updates", "bool", /*default=*/"true",
           "Fuse the optimizer updates into one multi-tensor update">,
    Option<"dropoutAdd", "dropout-add", "bool", /*default=*/"false",
           "x + dropout(h) into nn.dropout_add where only the add reads "
           "the dropout (--target=cuda: one kernel, no buffer for the "
           "dropout's result)">,
  ];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNInsertNumericsChecksPass
    : Pass<"nngc-insert-numerics-checks", "mlir::ModuleOp"> {
  let summary = "The checks of train --check-numerics, before the GPU kernels";
  let description = [{
    After every op of the training graph that computes f32 tensors, and
    every f32 input, an `nn.check_finite` of each result with its `id` and
    the text the trainer names when the check fails (`nn.linear at
    model.mlir:12:5`). Runs on a planned graph: a check reads its operand
    right after the op that computes it, so the memory plan holds.
    `nngc-convert-nn-to-llvm{numerics-checks}` inserts the same checks
    itself where none are there (the CPU target); the CUDA pipeline runs
    this pass before `nngc-convert-nn-to-gpu-kernels`, so that the checks
    get kernels. A graph that has checks already is left as it is.
  }];
}

def NNRematPass : Pass<"nngc-remat", "mlir::ModuleOp"> {
  let summary = "Recompute activations in the backward pass (cheap ones, "
                "or to fit a budget)";
  let description = [{
    With `max-bytes` > 0 (`nngc compile --max-memory SIZE`), makes the
    planned memory of a training step (parameters, gradients, optimizer
    state, arena, primitives' workspace, as `--report` counts it) fit
    `max-bytes` by recomputing forward activations in the backward pass:
    the op that defined an activation is cloned before the activation's
    first backward use, which then reads the clone, so the original is
    freed after its last forward use.

    Candidates are forward values read in the backward pass whose op keeps
    no state for a later op and draws no random numbers (not
    `NN_KeepsState`), or keeps state a clone recomputes into a slot of its
    own (`NN_RecomputableState`: layer norm; clones are marked
    `nngc.recomputed`), and whose operands are alive at the recompute
    point anyway, or are made by ops recomputed first (chains of up to
    three); uses that read no data (`OperandReadOpInterface`) neither
    keep a value alive nor move to the clone; and the
    probabilities the `nn.attention` ops keep, which their
    backward then recomputes (`nngc.recompute_probs`, all attention ops
    together). They are tried greedily, most bytes saved per FLOP
    recomputed first; one that does not lower the planned total is undone.
    The pass stops as soon as the plan fits, and fails with the smallest
    total it reached when it cannot. Recomputation runs the same
    primitives on the same operands, so results are bit-identical. Runs
    before `nngc-plan-memory`, with the same `in-place` and `strategy`.

    With `cheap` (`nngc compile -O2`), the pass also recomputes, budget or
    not, every candidate that costs at most one FLOP per byte it frees
    (elementwise ops, layer norms and chains of them, such as a GELU
    between two linear layers), as long as each lowers the planned total:
    the trade torch.compile's min-cut partitioner makes for pointwise ops.
    The budget's candidates, if any, come after these.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"0",
           "The memory budget of a training step, in bytes (0: none)">,
    Option<"cheap", "cheap", "bool", /*default=*/"false",
           "Recompute every candidate costing at most one FLOP per byte "
           "freed that lowers the plan, with or without a budget">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Plan as nngc-plan-memory's in-place option">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"best\"",
           "Plan as nngc-plan-memory's strategy option">,
  ];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNDistributePass : Pass<"nngc-distribute", "mlir::ModuleOp"> {
  let summary = "Average gradients across data-parallel ranks, overlapped "
                "with the backward pass";
  let description = [{
    For `nngc compile --distributed=mpi`: groups the parameters' gradients
    into buckets and averages each bucket across the ranks with a
    non-blocking all-reduce (`nn.all_reduce_start` / `nn.all_reduce_wait`),
    so that communication overlaps the rest of the backward pass, as
    PyTorch's DistributedDataParallel does with its hooks, but placed at
    compile time.

    Buckets are runs of parameters in reverse declaration order (the
    backward pass finishes the last layers' gradients first), closed when
    they reach `bucket-bytes`; since the gradient buffer lays the slots out
    in declaration order, each bucket is one contiguous range of it, which
    one all-reduce covers. A bucket's start is placed right after the last
    of its gradients is computed; its wait right before the first op that
    reads one of them (the gradient norm or the optimizer update), and
    every such read takes the averaged value. A gradient that would not be
    computed in its slot (a reshape's or an input's, or one value that is
    the gradient of two parameters) is first copied there
    (`nn.transpose` with the identity permutation). Buckets are recorded
    on the model (`nngc.buckets`: the parameters of each) for the report
    and the manifest. Runs after `nngc-remat` and before
    `nngc-plan-memory`; models without gradients are left alone.
  }];
  let options = [
    Option<"bucketBytes", "bucket-bytes", "int64_t", /*default=*/"1048576",
           "Close a bucket once its gradients hold this many bytes">,
  ];
  let dependentDialects = ["::nngc::nn::NNDialect"];
}

def NNPlanMemoryPass : Pass<"nngc-plan-memory", "mlir::ModuleOp"> {
  let summary = "Static memory plan: a byte offset for every tensor";
  let description = [{
    Assigns every tensor value a buffer (`nngc.space`: arena, param, grad or
    state) and a byte offset (`nngc.offset`), 64-byte aligned. Parameters,
    their gradients and optimizer state get fixed slots; the other values
    share one arena by liveness over the training step (inputs live
    through the whole step, outputs and the loss to its end). Reshapes
    alias their input. A gradient computed by a single op is written
    straight into its gradient slot.

    With `in-place`, an op that implements `InPlaceOpInterface` writes its
    result over an operand whose last use it is (an elementwise op over a
    dead input, a product accumulating onto a dead addend): the two share
    one buffer. Buffers then get offsets by `strategy`: `first-fit` (in
    order of definition, the lowest offset free for the buffer's lifetime),
    `greedy-by-size` (largest first, each at the lowest offset that no
    buffer live at the same time overlaps; TFLite's arena planner) or
    `best` (both, keeping the smaller arena). The totals go on the model
    (`nngc.arena_bytes`, `nngc.param_bytes`, `nngc.state_bytes`).
  }];
  let options = [
    Option<"reuse", "reuse", "bool", /*default=*/"true",
           "Let values with disjoint lifetimes share arena memory">,
    Option<"inPlace", "in-place", "bool", /*default=*/"true",
           "Let an elementwise result overwrite a dead operand">,
    Option<"strategy", "strategy", "std::string", /*default=*/"\"best\"",
           "Offset assignment: first-fit, greedy-by-size or best">,
  ];
}

#endif // NNGC_DIALECT_NN_TRANSFORMS_PASSES_TD
