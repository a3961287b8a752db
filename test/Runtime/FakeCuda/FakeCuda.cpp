//===- FakeCuda.cpp - a CUDA driver and cuBLASLt on the host, for tests ---===//
//
// Built twice, as test/fake-cuda/libcuda.so.1 and libcublasLt.so.13, so
// that a CUDA trainer (which dlopens both, lib/Runtime/Cuda) runs its host
// code on a machine without a GPU: device memory is host memory, copies
// are memcpy, and cublasLtMatmul computes the product its descriptors
// describe (transposes, leading dimensions, strided batches, the bias and
// ReLU epilogues, beta). Kernels are looked up by name in the PTX the
// trainer embeds (a missing entry fails as the driver would) but do not
// run: nothing here checks numbers; it checks that the runtime's setup,
// launches, products, copies and the trainer's loops hold together
// (test/e2e/cuda-fake-driver.test). With NNGC_FAKE_CUDA_STATS set it
// prints what it was asked to do at exit.
//
//===----------------------------------------------------------------------===//

#include <cublasLt.h>
#include <cuda.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

namespace {

struct Stats {
  long launches = 0, products = 0, allocations = 0;
  long long bytesCopied = 0;
  ~Stats() {
    if (std::getenv("NNGC_FAKE_CUDA_STATS"))
      std::fprintf(stderr,
                   "fake cuda: %ld launches, %ld products, %ld allocations, "
                   "%lld bytes copied\n",
                   launches, products, allocations, bytesCopied);
  }
} stats;

std::string ptx;

struct Function {
  std::string name;
};
std::map<std::string, Function> functions;

CUdeviceptr allocate(size_t bytes) {
  void *p = nullptr;
  if (posix_memalign(&p, 256, bytes ? bytes : 1) != 0)
    return 0;
  ++stats.allocations;
  return reinterpret_cast<CUdeviceptr>(p);
}

CUresult copy(void *dst, const void *src, size_t bytes) {
  std::memmove(dst, src, bytes);
  stats.bytesCopied += static_cast<long long>(bytes);
  return CUDA_SUCCESS;
}

} // namespace

extern "C" {

CUresult cuInit(unsigned int) { return CUDA_SUCCESS; }
CUresult cuGetErrorName(CUresult r, const char **name) {
  *name =
      r == CUDA_ERROR_NOT_FOUND ? "CUDA_ERROR_NOT_FOUND" : "CUDA_ERROR_FAKE";
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGet(CUdevice *device, int) {
  *device = 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetName(char *name, int len, CUdevice) {
  std::snprintf(name, len, "nngc fake CUDA device (host memory, no kernels)");
  return CUDA_SUCCESS;
}
CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute a, CUdevice) {
  *value = a == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 9 : 0;
  return CUDA_SUCCESS;
}
CUresult cuDeviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = size_t(1) << 30;
  return CUDA_SUCCESS;
}
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice) {
  *ctx = reinterpret_cast<CUcontext>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuCtxSetCurrent(CUcontext) { return CUDA_SUCCESS; }
CUresult cuStreamCreate(CUstream *stream, unsigned int) {
  *stream = reinterpret_cast<CUstream>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuStreamSynchronize(CUstream) { return CUDA_SUCCESS; }
CUresult cuModuleLoadDataEx(CUmodule *module, const void *image, unsigned int,
                            CUjit_option *, void **) {
  ptx = static_cast<const char *>(image);
  if (ptx.find(".version") == std::string::npos)
    return CUDA_ERROR_INVALID_IMAGE;
  *module = reinterpret_cast<CUmodule>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuModuleGetFunction(CUfunction *f, CUmodule, const char *name) {
  if (ptx.find(std::string(".entry ") + name + "(") == std::string::npos)
    return CUDA_ERROR_NOT_FOUND;
  Function &fn = functions[name];
  fn.name = name;
  *f = reinterpret_cast<CUfunction>(&fn);
  return CUDA_SUCCESS;
}
CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy,
                        unsigned int gz, unsigned int bx, unsigned int by,
                        unsigned int bz, unsigned int, CUstream, void **params,
                        void **) {
  if (!f || !params || gx == 0 || gy != 1 || gz != 1 || bx == 0 || bx > 1024 ||
      by != 1 || bz != 1)
    return CUDA_ERROR_INVALID_VALUE;
  ++stats.launches;
  return CUDA_SUCCESS;
}
CUresult cuMemAlloc(CUdeviceptr *p, size_t bytes) {
  *p = allocate(bytes);
  return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult cuMemFree(CUdeviceptr p) {
  std::free(reinterpret_cast<void *>(p));
  return CUDA_SUCCESS;
}
CUresult cuMemsetD8Async(CUdeviceptr p, unsigned char v, size_t n, CUstream) {
  std::memset(reinterpret_cast<void *>(p), v, n);
  return CUDA_SUCCESS;
}
CUresult cuMemcpyHtoDAsync(CUdeviceptr dst, const void *src, size_t n,
                           CUstream) {
  return copy(reinterpret_cast<void *>(dst), src, n);
}
CUresult cuMemcpyDtoHAsync(void *dst, CUdeviceptr src, size_t n, CUstream) {
  return copy(dst, reinterpret_cast<const void *>(src), n);
}
CUresult cuMemcpyDtoDAsync(CUdeviceptr dst, CUdeviceptr src, size_t n,
                           CUstream) {
  return copy(reinterpret_cast<void *>(dst), reinterpret_cast<void *>(src), n);
}
CUresult cuMemAllocHost(void **p, size_t bytes) {
  *p = reinterpret_cast<void *>(allocate(bytes));
  return *p ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}
CUresult cuMemFreeHost(void *p) {
  std::free(p);
  return CUDA_SUCCESS;
}
CUresult cuEventCreate(CUevent *e, unsigned int) {
  *e = reinterpret_cast<CUevent>(&ptx);
  return CUDA_SUCCESS;
}
CUresult cuEventRecord(CUevent, CUstream) { return CUDA_SUCCESS; }
CUresult cuEventSynchronize(CUevent) { return CUDA_SUCCESS; }

//===----------------------------------------------------------------------===//
// cuBLASLt
//===----------------------------------------------------------------------===//

struct FakeDesc {
  cublasOperation_t transA = CUBLAS_OP_N, transB = CUBLAS_OP_N;
  cublasLtEpilogue_t epilogue = CUBLASLT_EPILOGUE_DEFAULT;
  const float *bias = nullptr;
};
struct FakeLayout {
  uint64_t rows = 0, cols = 0;
  int64_t ld = 0, stride = 0;
  int32_t count = 1;
};

cublasStatus_t cublasLtCreate(cublasLtHandle_t *h) {
  *h = reinterpret_cast<cublasLtHandle_t>(&ptx);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *d,
                                        cublasComputeType_t, cudaDataType_t) {
  *d = reinterpret_cast<cublasLtMatmulDesc_t>(new FakeDesc);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t d,
                                              cublasLtMatmulDescAttributes_t a,
                                              const void *buf, size_t size) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  switch (a) {
  case CUBLASLT_MATMUL_DESC_TRANSA:
    std::memcpy(&desc->transA, buf, sizeof desc->transA);
    break;
  case CUBLASLT_MATMUL_DESC_TRANSB:
    std::memcpy(&desc->transB, buf, sizeof desc->transB);
    break;
  case CUBLASLT_MATMUL_DESC_EPILOGUE:
    std::memcpy(&desc->epilogue, buf, sizeof desc->epilogue);
    break;
  case CUBLASLT_MATMUL_DESC_BIAS_POINTER:
    std::memcpy(&desc->bias, buf, sizeof desc->bias);
    break;
  default:
    break;
  }
  return size > 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_INVALID_VALUE;
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *l,
                                          cudaDataType, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  if (ld < static_cast<int64_t>(rows))
    return CUBLAS_STATUS_INVALID_VALUE;
  auto *layout = new FakeLayout;
  layout->rows = rows, layout->cols = cols, layout->ld = ld;
  *l = reinterpret_cast<cublasLtMatrixLayout_t>(layout);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t
cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t l,
                                 cublasLtMatrixLayoutAttribute_t a,
                                 const void *buf, size_t) {
  auto *layout = reinterpret_cast<FakeLayout *>(l);
  if (a == CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT)
    std::memcpy(&layout->count, buf, sizeof layout->count);
  else if (a == CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET)
    std::memcpy(&layout->stride, buf, sizeof layout->stride);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) {
  *p = reinterpret_cast<cublasLtMatmulPreference_t>(new int);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t
cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t,
                                     cublasLtMatmulPreferenceAttributes_t,
                                     const void *, size_t) {
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
  delete reinterpret_cast<int *>(p);
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t, cublasLtMatmulDesc_t d, cublasLtMatrixLayout_t a,
    cublasLtMatrixLayout_t b, cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t,
    cublasLtMatmulPreference_t, int, cublasLtMatmulHeuristicResult_t *result,
    int *found) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  auto *la = reinterpret_cast<FakeLayout *>(a);
  auto *lb = reinterpret_cast<FakeLayout *>(b);
  auto *lc = reinterpret_cast<FakeLayout *>(c);
  // The shapes must agree, as cuBLASLt checks them.
  uint64_t m = desc->transA == CUBLAS_OP_T ? la->cols : la->rows;
  uint64_t ka = desc->transA == CUBLAS_OP_T ? la->rows : la->cols;
  uint64_t kb = desc->transB == CUBLAS_OP_T ? lb->cols : lb->rows;
  uint64_t n = desc->transB == CUBLAS_OP_T ? lb->rows : lb->cols;
  if (m != lc->rows || n != lc->cols || ka != kb)
    return CUBLAS_STATUS_INVALID_VALUE;
  std::memset(result, 0, sizeof *result);
  *found = 1;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t
cublasLtMatmul(cublasLtHandle_t, cublasLtMatmulDesc_t d, const void *alpha,
               const void *A, cublasLtMatrixLayout_t a, const void *B,
               cublasLtMatrixLayout_t b, const void *beta, const void *C,
               cublasLtMatrixLayout_t, void *D, cublasLtMatrixLayout_t dl,
               const cublasLtMatmulAlgo_t *, void *, size_t, cudaStream_t) {
  auto *desc = reinterpret_cast<FakeDesc *>(d);
  auto *la = reinterpret_cast<FakeLayout *>(a);
  auto *lb = reinterpret_cast<FakeLayout *>(b);
  auto *ld = reinterpret_cast<FakeLayout *>(dl);
  bool ta = desc->transA == CUBLAS_OP_T, tb = desc->transB == CUBLAS_OP_T;
  int64_t m = ld->rows, n = ld->cols, k = ta ? la->rows : la->cols;
  float al = *static_cast<const float *>(alpha),
        be = *static_cast<const float *>(beta);
  bool bias = desc->epilogue == CUBLASLT_EPILOGUE_BIAS ||
              desc->epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
  bool relu = desc->epilogue == CUBLASLT_EPILOGUE_RELU ||
              desc->epilogue == CUBLASLT_EPILOGUE_RELU_BIAS;
  if (bias && !desc->bias)
    return CUBLAS_STATUS_INVALID_VALUE;
  for (int32_t i = 0; i < ld->count; ++i) {
    auto *ai = static_cast<const float *>(A) + i * la->stride;
    auto *bi = static_cast<const float *>(B) + i * lb->stride;
    auto *ci = static_cast<const float *>(C) + i * ld->stride;
    auto *di = static_cast<float *>(D) + i * ld->stride;
    for (int64_t col = 0; col < n; ++col)
      for (int64_t r = 0; r < m; ++r) {
        double sum = 0;
        for (int64_t kk = 0; kk < k; ++kk)
          sum += double(ta ? ai[r * la->ld + kk] : ai[kk * la->ld + r]) *
                 (tb ? bi[kk * lb->ld + col] : bi[col * lb->ld + kk]);
        // cuBLASLt's order: alpha A B + beta C, then the epilogue.
        float v = al * static_cast<float>(sum);
        if (be != 0)
          v += be * ci[col * ld->ld + r];
        if (bias)
          v += desc->bias[r];
        if (relu && v < 0)
          v = 0;
        di[col * ld->ld + r] = v;
      }
  }
  ++stats.products;
  return CUBLAS_STATUS_SUCCESS;
}

} // extern "C"
