int script_value(void) { return 13; }
