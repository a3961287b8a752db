//===- NNBase.td - nn dialect definition and op base class -*- tablegen -*-===//

#ifndef NNGC_DIALECT_NN_IR_NNBASE_TD
#define NNGC_DIALECT_NN_IR_NNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::nngc::nn";
  let summary = "Neural-network training graphs: layers, losses, optimizers.";
  let description = [{
    The `nn` dialect describes one training problem: a model's named inputs,
    its trainable parameters (named like PyTorch `state_dict` entries), the
    layers that compute its outputs and loss, and the optimizer that
    minimises that loss. A model is one `nn.model` op whose body is a graph
    region, so ops may appear in any order that respects their data flow.

    The dialect has three layers of ops:

    * *model ops* (`nn.model`, `nn.input`, `nn.param`, `nn.output`,
      `nn.minimize`) that say what is trained and what is read back;
    * *layer and tensor ops* (`nn.linear`, `nn.relu`, `nn.cross_entropy`,
      `nn.add`, ...) that a user writes, each with a verifier, shape
      inference and a vector-Jacobian product (`VJPOpInterface`);
    * *training ops* (`nn.relu_grad`, `nn.sum_to`, `nn.gradient`,
      `nn.adam_update`, ...) that `nngc-autodiff` and `nngc-optimizer`
      emit, so that the whole training step stays readable in this dialect
      before it is lowered.

    All tensors are statically shaped; floating-point data is `f32` and
    class labels are `i64`. The first dimension of every input is the batch.
  }];
  let useDefaultAttributePrinterParser = 1;
}

// An op that works position by position: for token ids [B, T], its result
// at each (b, t) depends only on its operands at (b, t) (and on operands
// that do not come from the sequence, such as parameters). nngc-derive-step
// keeps such ops as they are when it specialises a language model to one
// token; any other op on the path from the ids to the logits (except a
// unidirectional recurrent layer, whose state it carries) rules the step
// entry point out.
def NN_PositionWise : NativeOpTrait<"PositionWise"> {
  let cppNamespace = "::nngc::nn::OpTrait";
}

// An op that keeps state in its runtime slot for a later op (its backward
// op reads the probabilities, statistics or workspace it kept) or draws
// random numbers keyed by its slot (dropout masks). Such an op is never
// cloned (nngc-remat does not recompute it) unless it is also
// NN_RecomputableState, and the lowering gives it a slot that does not
// depend on the rest of the graph.
def NN_KeepsState : NativeOpTrait<"KeepsState"> {
  let cppNamespace = "::nngc::nn::OpTrait";
}

// An NN_KeepsState op whose kept state is a function of its operands alone
// and draws no random numbers (layer-norm statistics): a clone computes
// the same result, and the same state into a slot of its own, so
// nngc-remat may recompute it. The lowering gives such clones their slots
// after the ops that keep state.
def NN_RecomputableState : NativeOpTrait<"RecomputableState"> {
  let cppNamespace = "::nngc::nn::OpTrait";
}

// Every op but nn.model lives directly in an nn.model's body (the
// verifier says so, rather than a pass crashing on a stray op).
class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic,
         !listconcat(traits, [HasParent<"::nngc::nn::ModelOp">])>;
class NN_TopLevelOp<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

class NN_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<NN_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// Statically shaped f32 tensors carry data; statically shaped i64 tensors
// carry class labels.
def NN_FloatTensor : StaticShapeTensorOf<[F32]>;
def NN_LabelTensor : StaticShapeTensorOf<[I64]>;
def NN_AnyTensor : StaticShapeTensorOf<[F32, I64]>;
def NN_Scalar : Type<0DTensorOf<[F32]>.predicate, "0-d f32 tensor (a scalar)",
                     "::mlir::TensorType">,
                BuildableType<"::mlir::RankedTensorType::get({}, $_builder.getF32Type())">;

#endif // NNGC_DIALECT_NN_IR_NNBASE_TD
