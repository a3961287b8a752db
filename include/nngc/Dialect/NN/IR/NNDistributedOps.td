//===- NNDistributedOps.td - data-parallel gradient averaging -*- tablegen -*-===//
//
// Ops that nngc-distribute emits (`nngc compile --distributed=mpi`): each
// bucket of gradients is averaged across the ranks by a non-blocking
// all-reduce that starts as soon as the bucket's last gradient is final
// and is waited for just before the first op that reads one of them.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_DIALECT_NN_IR_NNDISTRIBUTEDOPS_TD
#define NNGC_DIALECT_NN_IR_NNDISTRIBUTEDOPS_TD

def NN_AllReduceStartOp : NN_Op<"all_reduce_start",
    [RangedTypesMatchWith<"results have the operands' types", "grads",
                          "in_flight", "$_self">]> {
  let summary = "Starts averaging a bucket of gradients across the ranks";
  let description = [{
    Starts a non-blocking all-reduce of the gradients `grads`, which lie in
    their parameters' slots of the gradient buffer, side by side: bucket
    `bucket` is the bytes from the first one's slot to the end of the last
    one's. Each rank first scales its gradients by its share of the global
    batch's rows (the runtime's gradient scale, 1/N with full batches), so
    the sum the all-reduce computes is the mean gradient of the global
    batch. The results are the same buffers, in flight: only
    `nn.all_reduce_wait` may take them. The op writes nothing new and
    allocates nothing: results alias their operands.

    ```mlir
    %f:2 = nn.all_reduce_start %dw, %db {bucket = 0 : i64} : tensor<10x4xf32>, tensor<10xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$grads, I64Attr:$bucket);
  let results = (outs Variadic<NN_FloatTensor>:$in_flight);
  let assemblyFormat = "$grads attr-dict `:` type($grads)";
  let hasVerifier = 1;
}

def NN_AllReduceWaitOp : NN_Op<"all_reduce_wait",
    [RangedTypesMatchWith<"results have the operands' types", "in_flight",
                          "averaged", "$_self">]> {
  let summary = "Waits for a bucket's all-reduce; its results are the means";
  let description = [{
    Blocks until the all-reduce that `nn.all_reduce_start` of the same
    bucket started has completed on this rank (or the trainer's collective
    timeout passes, which ends the run with an error). Takes every result
    of that start, in order; its results, aliasing them, hold the
    gradients averaged over the ranks.

    ```mlir
    %g:2 = nn.all_reduce_wait %f#0, %f#1 {bucket = 0 : i64} : tensor<10x4xf32>, tensor<10xf32>
    ```
  }];
  let arguments = (ins Variadic<NN_FloatTensor>:$in_flight, I64Attr:$bucket);
  let results = (outs Variadic<NN_FloatTensor>:$averaged);
  let assemblyFormat = "$in_flight attr-dict `:` type($in_flight)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The start op whose results this wait takes.
    AllReduceStartOp getStart();
  }];
}

#endif // NNGC_DIALECT_NN_IR_NNDISTRIBUTEDOPS_TD
