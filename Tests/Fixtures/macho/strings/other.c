const char *other_greeting(void) { return "good morning"; }
const char *unused_duplicate(void) { return "mercury"; }
