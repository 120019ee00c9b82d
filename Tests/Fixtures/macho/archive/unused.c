// never referenced: if this member were loaded, its duplicate `area` would clash
int area(int w, int h) { return -1; }
int unused_only(void) { return 0; }
