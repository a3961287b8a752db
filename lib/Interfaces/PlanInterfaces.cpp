//===- PlanInterfaces.cpp - in-place and FLOP count interfaces ------------===//

#include "nngc/Interfaces/PlanInterfaces.h"

#include "nngc/Interfaces/PlanInterfaces.cpp.inc"
