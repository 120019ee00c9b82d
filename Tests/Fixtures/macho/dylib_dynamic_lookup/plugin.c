extern int host_version;
int host_callback(int);
int plugin_run(int x) { return host_callback(x + host_version); }
