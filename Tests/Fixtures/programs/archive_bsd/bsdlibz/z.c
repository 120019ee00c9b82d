int bsd_value(void) { return 11; }
