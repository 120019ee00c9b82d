// Program headers and linker-defined symbols, seen from inside the process:
// dl_iterate_phdr (PT_LOAD permissions, PT_TLS, PT_GNU_STACK, PT_GNU_EH_FRAME, PT_GNU_RELRO,
// PT_INTERP, PT_DYNAMIC), __ehdr_start, __executable_start, etext/edata/end, __bss_start,
// __init_array_start/__init_array_end.
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern const ElfW(Ehdr) __ehdr_start;
extern char __executable_start[], etext[], edata[], end[], __bss_start[];
extern void (*__init_array_start[])(void) __attribute__((weak));
extern void (*__init_array_end[])(void) __attribute__((weak));

__thread long tls_var[4] = {1, 2, 3, 4};
int data_var = 5;
int bss_var;
static int ctor_ran;
__attribute__((constructor)) static void ctor(void) { ctor_ran = 1; }

struct seen { int loads, exec_loads, wx_loads, tls, stack, stack_exec, eh_frame, relro, interp, dynamic, phnum; size_t tls_memsz, tls_align; };

static int cb(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct seen *s = data;
    if (s->phnum) return 1;           /* only the first object: the executable */
    s->phnum = info->dlpi_phnum;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        switch (p->p_type) {
        case PT_LOAD:
            s->loads++;
            if (p->p_flags & PF_X) s->exec_loads++;
            if ((p->p_flags & PF_X) && (p->p_flags & PF_W)) s->wx_loads++;
            break;
        case PT_TLS: s->tls++; s->tls_memsz = p->p_memsz; s->tls_align = p->p_align; break;
        case PT_GNU_STACK: s->stack++; s->stack_exec = (p->p_flags & PF_X) != 0; break;
        case PT_GNU_EH_FRAME: s->eh_frame++; break;
        case PT_GNU_RELRO: s->relro++; break;
        case PT_INTERP: s->interp++; break;
        case PT_DYNAMIC: s->dynamic++; break;
        }
    }
    return 1;
}

int main(void) {
    struct seen s;
    memset(&s, 0, sizeof s);
    dl_iterate_phdr(cb, &s);
    printf("LOAD: some=%d executable=%d writable+executable=%d\n", s.loads > 0, s.exec_loads > 0, s.wx_loads);
    printf("TLS: %d memsz>=32=%d align>=8=%d\n", s.tls, s.tls_memsz >= 32, s.tls_align >= 8);
    printf("GNU_STACK: %d executable=%d\n", s.stack, s.stack_exec);
    printf("GNU_EH_FRAME: %d GNU_RELRO: %d INTERP: %d DYNAMIC: %d\n", s.eh_frame, s.relro, s.interp, s.dynamic);
    printf("__ehdr_start is an ELF header: %d, e_phnum matches: %d, e_type: %s\n",
           memcmp(__ehdr_start.e_ident, ELFMAG, SELFMAG) == 0, __ehdr_start.e_phnum == s.phnum,
           __ehdr_start.e_type == ET_DYN ? "DYN" : __ehdr_start.e_type == ET_EXEC ? "EXEC" : "other");
    printf("__executable_start <= main < etext: %d\n",
           (uintptr_t)__executable_start <= (uintptr_t)main && (uintptr_t)main < (uintptr_t)etext);
    printf("etext <= data_var < edata: %d\n", (uintptr_t)etext <= (uintptr_t)&data_var && (uintptr_t)&data_var < (uintptr_t)edata);
    printf("__bss_start <= bss_var < end: %d\n", (uintptr_t)__bss_start <= (uintptr_t)&bss_var && (uintptr_t)&bss_var < (uintptr_t)end);
    printf("edata <= end: %d\n", (uintptr_t)edata <= (uintptr_t)end);
    printf("init_array has entries: %d ctor ran: %d\n",
           __init_array_start != 0 && __init_array_end - __init_array_start >= 1, ctor_ran);
    return tls_var[3];
}
