#include <stdint.h>
extern __thread int tls_data;
extern __thread int tls_bss;
extern __thread long tls_arr[8];
extern __thread char tls_aligned[64];

int *ld_addr(void);
int ld_bump(void);
int *gd_addr(void);
int gd_sum(void);
int *ie_addr(void);
int ie_sum(void);
int *le_addr(void);
int le_sum(void);
int *desc_addr(void);
int desc_sum(void);
