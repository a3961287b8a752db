//===- DecomposeOpInterface.cpp - Composite ops ---------------------------===//

#include "nngc/Interfaces/DecomposeOpInterface.h"

#include "nngc/Interfaces/DecomposeOpInterface.cpp.inc"
