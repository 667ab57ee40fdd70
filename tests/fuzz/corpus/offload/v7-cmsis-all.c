// tvm target: cmsis-nn 
#define TVM_EXPORTS
#include "tvm/runtime/c_runtime_api.h"
#include "tvm/runtime/c_backend_api.h"
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <dlpack/dlpack.h>
#include <arm_nnfunctions.h>
#include <arm_nn_types.h>
#include <arm_nn_math_types.h>
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_0(int8_t* input_, int8_t* filter_, int32_t* multiplier_, int32_t* bias_, int32_t* shift_, int8_t* output_, uint8_t* global_const_workspace_2_var, uint8_t* global_workspace_3_var) {
  void* context_buffer_0_let = (&(global_workspace_3_var[32]));
  cmsis_nn_context context= {context_buffer_0_let,32};
  cmsis_nn_tile stride = {1,1};
  cmsis_nn_tile padding = {0,0};
  cmsis_nn_tile dilation = {1,1};
  cmsis_nn_activation activation = {-128,127};
  cmsis_nn_conv_params conv_params = {128, -5, stride, padding, dilation, activation};
  cmsis_nn_per_channel_quant_params quant_params = {multiplier_, shift_};
  cmsis_nn_dims input_dims = {1,2,2,4};
  cmsis_nn_dims filter_dims = {4,1,1,4};
  cmsis_nn_dims bias_dims = {1,1,1,4};
  cmsis_nn_dims output_dims = {1,2,2,4};
  arm_cmsis_nn_status status = arm_convolve_wrapper_s8(&context, &conv_params, &quant_params, &input_dims, input_, &filter_dims, filter_, &bias_dims, bias_, &output_dims, output_);
  switch (!status) {
  case ARM_CMSIS_NN_SUCCESS: break;
  case ARM_CMSIS_NN_ARG_ERROR: return -1;
  case ARM_CMSIS_NN_NO_IMPL_ERROR: return -1;
  }
  return 0;
}

#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_1(int8_t* input_, int8_t* filter_, int32_t* bias_, int8_t* output_, uint8_t* global_const_workspace_4_var, uint8_t* global_workspace_5_var) {
  cmsis_nn_context context= {NULL,0};
  cmsis_nn_activation activation = {-128,127};
  cmsis_nn_fc_params fc_params = {5, 0, -3, activation};
  cmsis_nn_per_tensor_quant_params quant_params = {1552512742, -5};
  cmsis_nn_dims input_dims = {1,1,1,16};
  cmsis_nn_dims filter_dims = {16,1,1,4};
  cmsis_nn_dims bias_dims = {1,1,1,4};
  cmsis_nn_dims output_dims = {1,1,1,4};
  arm_cmsis_nn_status status = arm_fully_connected_s8(&context, &fc_params, &quant_params, &input_dims, input_, &filter_dims, filter_, &bias_dims, bias_, &output_dims, output_);
  switch (!status) {
  case ARM_CMSIS_NN_SUCCESS: break;
  case ARM_CMSIS_NN_ARG_ERROR: return -1;
  case ARM_CMSIS_NN_NO_IMPL_ERROR: return -1;
  }
  return 0;
}

#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default_cmsis_nn_main_2(int8_t* input_, int8_t* output_, uint8_t* global_const_workspace_6_var, uint8_t* global_workspace_7_var) {
  arm_softmax_s8(input_, 1, 4, 1476210432, 24, -124, output_);
  return 0;
}

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

#include "tvm/runtime/c_runtime_api.h"
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((section(".rodata.tvm"), ))
static const struct global_const_workspace {
  int8_t constant_4_let[64] __attribute__((aligned(4))); // 64 bytes, aligned offset: 0
  int8_t constant_0_let[16] __attribute__((packed, aligned(4))); // 16 bytes, aligned offset: 64
  int32_t constant_1_let[4] __attribute__((packed, aligned(4))); // 16 bytes, aligned offset: 80
  int32_t constant_2_let[4] __attribute__((packed, aligned(4))); // 16 bytes, aligned offset: 96
  int32_t constant_3_let[4] __attribute__((packed, aligned(4))); // 16 bytes, aligned offset: 112
  int32_t constant_5_let[4] __attribute__((packed, aligned(4))); // 16 bytes, aligned offset: 128
  float fused_constant_6_let[2] __attribute__((packed, aligned(4))); // 8 bytes, aligned offset: 144
} global_const_workspace = {
  .constant_4_let = {
    -0x80, +0x7f, +0x00, -0x01, +0x10, -0x10, +0x20, -0x20, 
    +0x01, +0x02, +0x03, +0x04, +0x05, +0x06, +0x07, +0x08, 
    -0x01, -0x02, -0x03, -0x04, -0x05, -0x06, -0x07, -0x08, 
    +0x11, +0x12, +0x13, +0x14, +0x15, +0x16, +0x17, +0x18, 
    -0x11, -0x12, -0x13, -0x14, -0x15, -0x16, -0x17, -0x18, 
    +0x21, +0x22, +0x23, +0x24, +0x25, +0x26, +0x27, +0x28, 
    -0x21, -0x22, -0x23, -0x24, -0x25, -0x26, -0x27, -0x28, 
    +0x31, +0x32, +0x33, +0x34, +0x35, +0x36, +0x37, +0x38
  },
  .constant_0_let = {
    +0x01, -0x02, +0x03, -0x04, +0x05, -0x06, +0x07, -0x08, 
    +0x09, -0x0a, +0x0b, -0x0c, +0x0d, -0x0e, +0x0f, -0x7f
  },
  .constant_1_let = {
    +0x6e34ef4d, +0x40000000, +0x7fffffff, -0x80000000
  },
  .constant_2_let = {
    -0x00000066, +0x00000000, +0x000003e8, -0x0001e240
  },
  .constant_3_let = {
    -0x00000007, -0x00000008, +0x00000000, -0x00000021
  },
  .constant_5_let = {
    +0x0000000a, -0x0000000a, +0x00000064, -0x00000064
  },
  .fused_constant_6_let = {
    0x1.8af106p-1, -0x1p-7
  },
};// of total size 152 bytes
__attribute__((section(".bss.noinit.tvm"), aligned(4)))
static uint8_t global_workspace[64];
#include <tvmgen_default.h>
TVM_DLL int32_t tvmgen_default___tvm_main__(int8_t* serving_default_input_1_0_buffer_var,int8_t* StatefulPartitionedCall_0_buffer_var,uint8_t* global_const_workspace_0_var,uint8_t* global_workspace_1_var);
int32_t tvmgen_default_run(struct tvmgen_default_inputs* inputs,struct tvmgen_default_outputs* outputs) {return tvmgen_default___tvm_main__(inputs->serving_default_input_1_0,outputs->StatefulPartitionedCall_0,((uint8_t*)&global_const_workspace),((uint8_t*)&global_workspace));
}
#ifdef __cplusplus
}
#endif
;
