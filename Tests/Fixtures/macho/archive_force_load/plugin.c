extern int registered;
__attribute__((constructor)) static void register_plugin(void) { registered += 10; }
