// tvm target: c -keys=cpu -link-params=1
#define TVM_EXPORTS
#include "tvm/runtime/c_runtime_api.h"
#include "tvm/runtime/c_backend_api.h"
#include <math.h>
#ifdef __cplusplus
extern "C" {
#endif
static const float __attribute__((section(".rodata.tvm"), aligned(16))) __tvm_param__p0[4] = {
    0x1p+0, -0x1.8p+1, 0x1.99999ap-4, -0x0p+0
};
#ifdef __cplusplus
}  // extern "C"
#endif
#ifdef __cplusplus
extern "C" {
#endif
static const float __attribute__((section(".rodata.tvm"), aligned(16))) __tvm_param__p1[2] = {
    0x1p-1, 0x1p+2
};
#ifdef __cplusplus
}  // extern "C"
#endif
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_fused_reshape(float* placeholder, float* T_reshape) {
  for (int32_t ax1 = 0; ax1 < 2; ++ax1) {
    T_reshape[ax1] = placeholder[ax1];
  }
  return 0;
}

#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_fused_nn_dense_add_nn_relu(float* placeholder, float* placeholder1, float* placeholder2, float* T_relu) {
  for (int32_t j = 0; j < 2; ++j) {
    T_relu[j] = placeholder2[j];
    for (int32_t k = 0; k < 2; ++k) {
      T_relu[j] = (T_relu[j] + (placeholder[k] * placeholder1[((j * 2) + k)]));
    }
    T_relu[j] = max(T_relu[j], 0.000000e+00f);
  }
  return 0;
}

#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_run_model(void* input, void* output) {
  void* sid_5 = TVMBackendAllocWorkspace(1, 0, (uint64_t)8, 2, 32);
  if (sid_5 == NULL) {
    return -1;
  }
  (void)tvmgen_default_fused_reshape(input, sid_5);
  (void)tvmgen_default_fused_nn_dense_add_nn_relu(sid_5, __tvm_param__p0, __tvm_param__p1, output);
  if (TVMBackendFreeWorkspace(1, 0, sid_5) != 0) {
    return -1;
  }
  return 0;
}
#ifdef __cplusplus
}
#endif
