// Weak definitions: one overridden by a strong definition in another object, one that stays,
// and a weak undefined reference to a symbol nobody defines (resolves to NULL).
int printf(const char *, ...);
__attribute__((weak)) int overridden(void) { return 1; }
__attribute__((weak)) int kept(void) { return 2; }
__attribute__((weak)) int weak_value = 10;
extern int missing_function(void) __attribute__((weak));
int via_other(void);
int main(void) {
    printf("overridden=%d kept=%d value=%d other=%d missing=%s\n", overridden(), kept(), weak_value,
           via_other(), missing_function ? "present" : "absent");
    return 0;
}
