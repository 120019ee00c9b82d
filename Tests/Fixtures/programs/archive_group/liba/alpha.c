int beta(int);
int alpha(int x) { return beta(x) * 2; }
