int shared_table[4] = {1, 2, 3, 4};
int *const slots[4] = {&shared_table[0], &shared_table[1], &shared_table[2], &shared_table[3]};
int table_sum(void) { int s = 0; for (int i = 0; i < 4; i++) s += *slots[i]; return s; }
int *table_slot(int i) { return slots[i]; }
