/* Needs weld_archive_symbol from the (truncated) archive. */
int weld_archive_symbol(int);
int main(void) { return weld_archive_symbol(3); }
