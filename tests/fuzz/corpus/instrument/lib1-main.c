// tvm target: c -keys=arm_cpu,cpu -mcpu=cortex-m55 -constants-byte-alignment=4
#define TVM_EXPORTS
#include "tvm/runtime/c_runtime_api.h"
#include "tvm/runtime/c_backend_api.h"
#include <math.h>
#include <stdbool.h>
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_0(int8_t*, int8_t*, int32_t*, int32_t*, int32_t*, int8_t*, uint8_t*, uint8_t*);
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_1(int8_t*, int8_t*, int32_t*, int8_t*, uint8_t*, uint8_t*);
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_2(int8_t*, int8_t*, uint8_t*, uint8_t*);
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default___tvm_main__(int8_t* serving_default_input_1_0_buffer_var, int8_t* StatefulPartitionedCall_0_buffer_var, uint8_t* global_const_workspace_0_var, uint8_t* global_workspace_1_var) {
  void* constant_3_let = (&(global_const_workspace_0_var[112]));
  void* constant_0_let = (&(global_const_workspace_0_var[64]));
  void* constant_5_let = (&(global_const_workspace_0_var[128]));
  void* constant_1_let = (&(global_const_workspace_0_var[80]));
  void* constant_4_let = (&(global_const_workspace_0_var[0]));
  void* constant_2_let = (&(global_const_workspace_0_var[96]));
  void* sid_1_let = (&(global_workspace_1_var[0]));
  void* sid_2_let = (&(global_workspace_1_var[16]));
  if (tvmgen_default_cmsis_nn_main_0(serving_default_input_1_0_buffer_var, constant_0_let, constant_1_let, constant_2_let, constant_3_let, sid_1_let, global_const_workspace_0_var, global_workspace_1_var) != 0 ) return -1;
  if (tvmgen_default_cmsis_nn_main_1(sid_1_let, constant_4_let, constant_5_let, sid_2_let, global_const_workspace_0_var, global_workspace_1_var) != 0 ) return -1;
  if (tvmgen_default_cmsis_nn_main_2(sid_2_let, StatefulPartitionedCall_0_buffer_var, global_const_workspace_0_var, global_workspace_1_var) != 0 ) return -1;
  return 0;
}

