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
