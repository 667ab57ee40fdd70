static struct global_const_workspace {
  int8_t constant_0_let[2147483648]; // 2147483648 bytes, aligned offset: 0
} global_const_workspace = {
  .constant_0_let = {1}
};// of total size 2147483648 bytes
