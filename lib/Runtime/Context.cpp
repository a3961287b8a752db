//===- Context.cpp - The runtime state generated code runs against --------===//
//
// Apart from the kernels (Kernels.cpp and the others create the oneDNN
// engine on first use), so that a CUDA trainer links no oneDNN.
//
//===----------------------------------------------------------------------===//

#include "nngc/Runtime/Context.h"

using namespace nngc::rt;

Context::Context() = default;
Context::~Context() = default;

size_t Context::primitiveBytes() const {
  size_t n = bytesOf(attentionScratch) + rnnScratchpadBytes;
  for (const std::unique_ptr<Primitive> &p : primitives)
    if (p)
      n += p->heldBytes();
  return n;
}
