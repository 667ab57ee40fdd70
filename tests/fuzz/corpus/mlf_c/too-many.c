static struct global_const_workspace {
  int8_t c_let[4] __attribute__((aligned(4))); // 4 bytes, aligned offset: 8
} global_const_workspace = {
  .c_let = {1, 2, 3, 4, 5},
};// of total size 4 bytes
