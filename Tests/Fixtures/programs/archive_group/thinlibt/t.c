int thin_value(void) { return 7; }
