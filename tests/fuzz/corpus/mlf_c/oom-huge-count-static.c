static const int8_t w[2147483648] = {1};
