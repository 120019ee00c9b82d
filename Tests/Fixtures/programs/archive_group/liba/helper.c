int alpha_helper(int x) { return x + 1000; }
