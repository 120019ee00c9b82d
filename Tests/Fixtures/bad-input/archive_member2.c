int weld_archive_other(int x) { return x * 2; }
