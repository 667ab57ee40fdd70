int f(void) {
  if (x) {
    g(1, "a\"b", 'c');
