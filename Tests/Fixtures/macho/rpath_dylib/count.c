int snprintf(char *, unsigned long, const char *, ...);
static int total;
static char label[32];
void count_add(int v) { total += v; }
int count_total(void) { return total; }
const char *count_label(void) { snprintf(label, sizeof label, "total<%d>", 10); return label; }
