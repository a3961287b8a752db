//===- RecurrentOperands.h - a recurrent stack's operands ------*- C++ -*-===//
//
// Internal to lib/Runtime: how the CPU runtime (Recurrent.cpp) and the CUDA
// runtime (lib/Runtime/Cuda) read nn.rnn / nn.gru / nn.lstm's operand
// pointers: the input, then the mask, the initial states and the weights
// where the op has them. No oneDNN here.
//
//===----------------------------------------------------------------------===//

#ifndef NNGC_LIB_RUNTIME_RECURRENTOPERANDS_H
#define NNGC_LIB_RUNTIME_RECURRENTOPERANDS_H

namespace nngc::rt {

struct RecurrentOperands {
  const float *input = nullptr, *mask = nullptr, *h0 = nullptr, *c0 = nullptr;
  const float *const *weights = nullptr;
};

inline RecurrentOperands splitRecurrentOperands(const float *const *ops,
                                                bool masked, bool initial,
                                                bool lstm) {
  RecurrentOperands o;
  o.input = ops[0];
  int i = 1;
  if (masked)
    o.mask = ops[i++];
  if (initial) {
    o.h0 = ops[i++];
    if (lstm)
      o.c0 = ops[i++];
  }
  o.weights = ops + i;
  return o;
}

} // namespace nngc::rt

#endif // NNGC_LIB_RUNTIME_RECURRENTOPERANDS_H
