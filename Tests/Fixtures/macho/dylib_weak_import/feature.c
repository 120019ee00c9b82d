int optional_feature(void) { return 77; }
