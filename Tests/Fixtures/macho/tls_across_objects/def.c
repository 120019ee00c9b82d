__thread int shared_tls = 1;
__thread char tls_buffer[32];
void fill(void) { for (int i = 0; i < 5; i++) tls_buffer[i] = 'a' + i + shared_tls; shared_tls *= 3; }
