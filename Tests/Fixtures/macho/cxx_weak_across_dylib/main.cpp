// An inline function with a static local and a template's static member, defined (weak) in
// both the executable and its dylib: at load time both images must use one definition (the
// executable's), as dyld coalesces weak definitions, so the counters are shared.
extern "C" int printf(const char *, ...);
inline int &shared_counter() { static int n = 0; return n; }
template <typename T> struct Registry { static int entries; };
template <typename T> int Registry<T>::entries = 100;
void lib_touch();
int lib_counter_value();
int lib_entries();
int main() {
    shared_counter() += 1;
    Registry<int>::entries += 1;
    lib_touch();
    lib_touch();
    printf("main sees %d, lib sees %d; entries %d/%d\n", shared_counter(), lib_counter_value(),
           Registry<int>::entries, lib_entries());
    return 0;
}
