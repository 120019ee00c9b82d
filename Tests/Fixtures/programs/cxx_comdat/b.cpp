#include "shared.h"
void tu_b() { inline_counter(); inline_counter(); Registry<int>::add(twice(21)); Registry<std::string>::add("b"); }
const void *tu_b_counter_fn() { return inline_counter_address(); }
const int *tu_b_static() { return template_static_address(); }
