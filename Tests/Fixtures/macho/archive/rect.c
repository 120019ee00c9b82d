const char *shape_name = "rect";
int area(int w, int h) { return w * h; }
