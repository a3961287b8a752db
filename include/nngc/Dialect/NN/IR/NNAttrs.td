//===- NNAttrs.td - nn dialect attributes and enums --------*- tablegen -*-===//

#ifndef NNGC_DIALECT_NN_IR_NNATTRS_TD
#define NNGC_DIALECT_NN_IR_NNATTRS_TD

include "nngc/Dialect/NN/IR/NNBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Parameter initialisers (the names of torch.nn.init functions).
//===----------------------------------------------------------------------===//

def NN_InitKind : I32EnumAttr<"InitKind", "parameter initialiser", [
  I32EnumAttrCase<"zeros", 0>,
  I32EnumAttrCase<"ones", 1>,
  I32EnumAttrCase<"constant", 2>,
  I32EnumAttrCase<"normal", 3>,
  I32EnumAttrCase<"uniform", 4>,
  I32EnumAttrCase<"xavier_uniform", 5>,
  I32EnumAttrCase<"xavier_normal", 6>,
  I32EnumAttrCase<"kaiming_uniform", 7>,
  I32EnumAttrCase<"kaiming_normal", 8>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_InitKindAttr : EnumAttr<NN_Dialect, NN_InitKind, "init"> {
  let assemblyFormat = "$value";
}

def NN_GeluApproximation : I32EnumAttr<"GeluApproximation",
    "GELU formula (torch.nn.GELU's approximate=)", [
  I32EnumAttrCase<"none", 0>,
  I32EnumAttrCase<"tanh", 1>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_GeluApproximationAttr
    : EnumAttr<NN_Dialect, NN_GeluApproximation, "gelu_approximation"> {
  let assemblyFormat = "$value";
}

def NN_EpilogueActivation : I32EnumAttr<"EpilogueActivation",
    "activation applied by nn.fused_matmul's epilogue", [
  I32EnumAttrCase<"none", 0>,
  I32EnumAttrCase<"relu", 1>,
  I32EnumAttrCase<"leaky_relu", 2>,
  I32EnumAttrCase<"tanh", 3>,
  I32EnumAttrCase<"sigmoid", 4>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_EpilogueActivationAttr
    : EnumAttr<NN_Dialect, NN_EpilogueActivation, "epilogue"> {
  let assemblyFormat = "$value";
}

def NN_RNNNonlinearity : I32EnumAttr<"RNNNonlinearity",
    "activation of nn.rnn (torch.nn.RNN's nonlinearity=)", [
  I32EnumAttrCase<"tanh", 0>,
  I32EnumAttrCase<"relu", 1>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_RNNNonlinearityAttr
    : EnumAttr<NN_Dialect, NN_RNNNonlinearity, "rnn_nonlinearity"> {
  let assemblyFormat = "$value";
}

// The cell of a recurrent layer; nn.rnn_grad carries it.
def NN_RecurrentMode : I32EnumAttr<"RecurrentMode", "recurrent cell", [
  I32EnumAttrCase<"rnn_tanh", 0>,
  I32EnumAttrCase<"rnn_relu", 1>,
  I32EnumAttrCase<"lstm", 2>,
  I32EnumAttrCase<"gru", 3>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_RecurrentModeAttr
    : EnumAttr<NN_Dialect, NN_RecurrentMode, "recurrent_mode"> {
  let assemblyFormat = "$value";
}

def NN_ReduceKind : I32EnumAttr<"ReduceKind", "reduction of nn.reduce", [
  I32EnumAttrCase<"sum", 0>,
  I32EnumAttrCase<"mean", 1>,
  I32EnumAttrCase<"max", 2>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_ReduceKindAttr : EnumAttr<NN_Dialect, NN_ReduceKind, "reduce_kind"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// Optimizers. Fields and defaults are torch.optim's.
//===----------------------------------------------------------------------===//

def NN_SGDAttr : NN_Attr<"SGD", "sgd"> {
  let summary = "torch.optim.SGD: momentum, dampening, Nesterov, weight decay";
  let description = [{
    `#nn.sgd<lr = 0.1, momentum = 0.9, nesterov = true>`. Every field but
    `lr` may be left out and takes torch.optim.SGD's default (momentum 0,
    dampening 0, weight_decay 0, nesterov false).
  }];
  let parameters = (ins APFloatParameter<"">:$lr, APFloatParameter<"">:$momentum,
                        APFloatParameter<"">:$dampening,
                        APFloatParameter<"">:$weight_decay, "bool":$nesterov);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

class NN_AdamBase<string name, string mnemonic, string torchName>
    : NN_Attr<name, mnemonic> {
  let summary = "torch.optim." # torchName;
  let description = [{
    `#nn.adam<lr = 1.0e-3>` is torch.optim.Adam (L2 weight decay added to the
    gradient); `#nn.adamw<lr = 1.0e-3, weight_decay = 0.01>` is
    torch.optim.AdamW (decoupled weight decay). Every field but `lr` may be
    left out: beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0 (Adam) or
    0.01 (AdamW).
  }];
  let parameters = (ins APFloatParameter<"">:$lr, APFloatParameter<"">:$beta1,
                        APFloatParameter<"">:$beta2, APFloatParameter<"">:$eps,
                        APFloatParameter<"">:$weight_decay);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def NN_AdamAttr : NN_AdamBase<"Adam", "adam", "Adam">;
def NN_AdamWAttr : NN_AdamBase<"AdamW", "adamw", "AdamW">;

def NN_OptimizerAttr : AnyAttrOf<[NN_SGDAttr, NN_AdamAttr, NN_AdamWAttr]>;

// Which parameters weight decay applies to (parameter groups).
def NN_DecayRule : I32EnumAttr<"DecayRule",
    "parameters that get weight decay", [
  I32EnumAttrCase<"all", 0>,
  I32EnumAttrCase<"matrices", 1>
]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::nngc::nn";
}
def NN_DecayRuleAttr : EnumAttr<NN_Dialect, NN_DecayRule, "decay_rule"> {
  let assemblyFormat = "$value";
}

//===----------------------------------------------------------------------===//
// Learning-rate schedules, applied by the trainer at every optimizer step.
//===----------------------------------------------------------------------===//

def NN_WarmupCosineAttr : NN_Attr<"WarmupCosine", "warmup_cosine"> {
  let summary = "Linear warm-up, then cosine decay to a floor (nanoGPT)";
  let description = [{
    `#nn.warmup_cosine<warmup = 100, decay_steps = 2000, min_lr = 1.0e-4>`:
    at step `it` (counted from 0) the learning rate is `lr * (it + 1) /
    (warmup + 1)` while `it < warmup`, then `min_lr + (1 + cos(pi * r)) / 2
    * (lr - min_lr)` with `r = (it - warmup) / (decay_steps - warmup)`, and
    `min_lr` after `decay_steps` (nanoGPT's `get_lr`). `warmup` defaults to
    0 and `min_lr` to 0; `decay_steps` is required.
  }];
  let parameters = (ins "int64_t":$warmup, "int64_t":$decay_steps,
                        APFloatParameter<"">:$min_lr);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def NN_StepLRAttr : NN_Attr<"StepLR", "step_lr"> {
  let summary = "torch.optim.lr_scheduler.StepLR over optimizer steps";
  let description = [{
    `#nn.step_lr<step_size = 1000, gamma = 0.1>`: the learning rate is `lr *
    gamma^floor(it / step_size)` at step `it` (counted from 0), after an
    optional linear `warmup` as in `#nn.warmup_cosine`. `gamma` defaults to
    0.1 (StepLR's).
  }];
  let parameters = (ins "int64_t":$warmup, "int64_t":$step_size,
                        APFloatParameter<"">:$gamma);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def NN_ScheduleAttr : AnyAttrOf<[NN_WarmupCosineAttr, NN_StepLRAttr]>;

#endif // NNGC_DIALECT_NN_IR_NNATTRS_TD
