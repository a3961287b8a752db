//===- VJPOpInterface.cpp - Vector-Jacobian products ----------------------===//

#include "nngc/Interfaces/VJPOpInterface.h"

#include "nngc/Interfaces/VJPOpInterface.cpp.inc"
