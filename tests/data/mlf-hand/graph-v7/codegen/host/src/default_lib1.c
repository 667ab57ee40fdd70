// tvm target: c -keys=cpu 
#define TVM_EXPORTS
#include "tvm/runtime/c_runtime_api.h"
#include "tvm/runtime/c_backend_api.h"
#include <math.h>
#include <stdbool.h>
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_fused_nn_dense(void* args, int32_t* arg_type_ids, int32_t num_args, void* out_ret_value, int32_t* out_ret_tcode, void* resource_handle) {
  int32_t p0_code = arg_type_ids[0];
  int32_t p1_code = arg_type_ids[1];
  int32_t T_matmul_NT_code = arg_type_ids[2];
  void* p0 = (((TVMValue*)args)[0].v_handle);
  void* p1 = (((TVMValue*)args)[1].v_handle);
  void* T_matmul_NT = (((TVMValue*)args)[2].v_handle);
  void* p0_1 = (((DLTensor*)p0)[0].data);
  void* p1_1 = (((DLTensor*)p1)[0].data);
  void* T_matmul_NT_1 = (((DLTensor*)T_matmul_NT)[0].data);
  for (int32_t j = 0; j < 2; ++j) {
    ((float*)T_matmul_NT_1)[j] = 0.000000e+00f;
    for (int32_t k = 0; k < 4; ++k) {
      ((float*)T_matmul_NT_1)[j] = (((float*)T_matmul_NT_1)[j] + (((float*)p0_1)[k] * ((float*)p1_1)[((j * 4) + k)]));
    }
  }
  return 0;
}

#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_fused_nn_relu(void* args, int32_t* arg_type_ids, int32_t num_args, void* out_ret_value, int32_t* out_ret_tcode, void* resource_handle) {
  int32_t p0_code = arg_type_ids[0];
  int32_t T_relu_code = arg_type_ids[1];
  void* p0 = (((TVMValue*)args)[0].v_handle);
  void* T_relu = (((TVMValue*)args)[1].v_handle);
  void* p0_1 = (((DLTensor*)p0)[0].data);
  void* T_relu_1 = (((DLTensor*)T_relu)[0].data);
  for (int32_t ax1 = 0; ax1 < 2; ++ax1) {
    float v_ = ((float*)p0_1)[ax1];
    ((float*)T_relu_1)[ax1] = ((v_) > (0.000000e+00f) ? (v_) : (0.000000e+00f));
  }
  return 0;
}

