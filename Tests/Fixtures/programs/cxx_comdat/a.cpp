#include "shared.h"
void tu_a() { inline_counter(); Registry<int>::add(1); Registry<std::string>::add(twice(std::string("a"))); }
const void *tu_a_counter_fn() { return inline_counter_address(); }
const int *tu_a_static() { return template_static_address(); }
std::string a_describe(const Widget &w) { return w.describe(); }
