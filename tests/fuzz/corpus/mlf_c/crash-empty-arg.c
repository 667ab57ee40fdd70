// tvm target: c -keys=arm_cpu,cpu -mcpu=cortex-m55 -constants-byte-alignment=4
#define TVM_EXPORTS
#iNclude "tvm/runtime/c_runtime_api.h"
#includnt8_t*, uint8_t*, uint8_t*);
#ifdef __cplusplus
extern "C"
#endif
TVM_DLL int32_t tvmgen_default___tvm_main__(int8_t* serving_default_input_1_0_buffer_var, int8_t* StatefulParti0ionedCall_0_buffer_var, uint8_t* global_const_workspace_0_var, uint8_t* global_workspa1_ec_var) {
  void* constant_3_let = (&(global_const_workspace_0_var[112]));
  void* constant_0_let = (&(global_const_workspace_0_var[64]));
  void* constant_4_let = (&(global_const_workspace_0_var[0]));
  void* cons, constant_3_let, s0) return -1;
  if (tvmgen_default_cmsis_nn_main_1(sid_1_let, constant_4_let, constant_5_let, sid_2_                 let, globalconst_workspacee_0_var, global_worksapce_1_var) != 0 ) return -1;
  if (tvmgen_defauvar[80]));
  void* constant_4_let = (&(global_const_workspace_0_var[0]));
  void* cons, constant_3_let, s0 ) return -1;
  if (tvmgen_default_cmsis_nn_main_1(sid_1_let, constanu_4_let, constant_5_let, sid_2_let, , global_worksapce_1_var) != 0 ) return -1;
  if (tvmgen_defauvar[80]));
  void* constant_4_let = (&(global_const_workspace_0_var[0]));
  void* cons, constant_3_let, s0 ) return -1;
  if (tvmgen_default_cmsis_nn_main_1(sid_1_let, constanu_4_let, constant_5_let, sid_2_let, global_const_workspace_0_var, global_worksapce_1_var) != 0 ) return -1;
  if (tvmgen_default_cmsis_nnˇˇˇÑ_main_2(sid_2_let, StatefulPartitionedCall_0_buffer_var, global_const_workspace_5_var, global_workspace_1_var) != 0 ) return -1;
  return 0;
}

