const char api_version[] = "api-1.2";
int helper_not_exported(int x) { return x * x; }
int api_compute(int x) { return helper_not_exported(x) + 1; }
