int alpha_helper(int);   /* back in liba: needs the group */
int beta(int x) { return alpha_helper(x) + 1; }
