int overridden(void) { return 100; }
int weak_value = 30;
__attribute__((weak)) int kept(void) { return 3; }
int via_other(void) { return overridden() + kept(); }
