/* SPDX-License-Identifier: MIT */
/*
 * `vmm seccomp`: the seccomp filters' allow-lists, as the library has
 * them (vmm_seccomp_print()).
 */
#ifndef VMM_CLI_SECCOMP_H
#define VMM_CLI_SECCOMP_H

/* `vmm seccomp`: print the allow-lists. */
int seccomp_main(int argc, char **argv);

#endif /* VMM_CLI_SECCOMP_H */
