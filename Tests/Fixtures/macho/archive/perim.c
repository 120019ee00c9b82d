int twice(int x);
int perimeter(int w, int h) { return twice(w + h); }
