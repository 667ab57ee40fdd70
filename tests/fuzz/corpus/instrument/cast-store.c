{
  for (int32_t ax3 = 0; ax3 < (8 << 2); ++ax3) {
    int32_t cse_var_1 = ((ax3 % 16) + ((ax3 / 16) * 16));
    ((int32_t*)T_cast)[(cse_var_1 - -1)] = 0;
  }
  for (int32_t i = 0; i <= 3; ++i) { T_cast[i] += 1; }
}
