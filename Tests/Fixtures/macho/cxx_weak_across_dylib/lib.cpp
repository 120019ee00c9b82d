inline int &shared_counter() { static int n = 0; return n; }
template <typename T> struct Registry { static int entries; };
template <typename T> int Registry<T>::entries = 100;
void lib_touch() { shared_counter() += 10; Registry<int>::entries += 10; }
int lib_counter_value() { return shared_counter(); }
int lib_entries() { return Registry<int>::entries; }
