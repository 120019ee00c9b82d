int scale(int v) { return v * 3 + 1; }
