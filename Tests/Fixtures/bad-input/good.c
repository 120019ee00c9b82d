/* A valid object, the starting point for the truncated and corrupted inputs. */
int good_data = 42;
int good_function(int x) { return x + good_data; }
int main(void) { return good_function(0) - 42; }
