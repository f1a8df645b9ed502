/* SPDX-License-Identifier: MIT */
/*
 * CPUID topology patching: APIC ids and core counts per vCPU.
 */
#include <stdlib.h>

#include <linux/kvm.h>

#include "check.h"
#include "arch/x86/cpu.h"

static struct kvm_cpuid2 *fake_cpuid(void)
{
	struct kvm_cpuid2 *c =
	    calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));
	uint32_t sig = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;

	c->nent = 7;
	c->entries[0] = (struct kvm_cpuid_entry2){
	    .function = 1, .ebx = 0xdead0800, .edx = 1U << 28};
	c->entries[1] = (struct kvm_cpuid_entry2){
	    .function = 4, .index = 0, .flags = sig, .eax = 0x121};
	c->entries[2] = (struct kvm_cpuid_entry2){
	    .function = 4, .index = 1, .flags = sig, .eax = 0};
	c->entries[3] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 0, .flags = sig};
	c->entries[4] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 1, .flags = sig};
	c->entries[5] = (struct kvm_cpuid_entry2){
	    .function = 0xb, .index = 2, .flags = sig};
	c->entries[6] = (struct kvm_cpuid_entry2){
	    .function = 0x1f, .index = 1, .flags = sig};
	return c;
}

int main(void)
{
	struct kvm_cpuid2 *c = fake_cpuid();

	x86_cpuid_patch(c, 5, 8);
	CHECK_EQ(c->entries[0].ebx >> 24, 5);
	CHECK_EQ((c->entries[0].ebx >> 16) & 0xff, 8);
	CHECK_EQ(c->entries[0].ebx & 0xffff, 0x0800);
	CHECK(c->entries[0].edx & (1U << 28));
	CHECK(c->entries[0].ecx & (1U << 31));
	CHECK_EQ(c->entries[1].eax >> 26, 7);
	CHECK_EQ(c->entries[1].eax & 0x3ffffff, 0x121);
	CHECK_EQ(c->entries[2].eax, 0); /* null cache level untouched */
	CHECK_EQ(c->entries[3].edx, 5);
	CHECK_EQ(c->entries[3].ebx, 1);
	CHECK_EQ((c->entries[3].ecx >> 8) & 0xff, 1); /* SMT level */
	CHECK_EQ(c->entries[4].eax, 3); /* shift: 8 cores -> 3 bits */
	CHECK_EQ(c->entries[4].ebx, 8);
	CHECK_EQ((c->entries[4].ecx >> 8) & 0xff, 2); /* core level */
	CHECK_EQ(c->entries[5].ecx, 2); /* invalid level ends the list */
	CHECK_EQ(c->entries[5].ebx, 0);
	CHECK_EQ(c->entries[6].edx, 5);
	free(c);

	c = fake_cpuid();
	x86_cpuid_patch(c, 0, 1);
	CHECK(!(c->entries[0].edx & (1U << 28)));
	CHECK_EQ(c->entries[4].eax, 0);
	free(c);

	c = fake_cpuid();
	x86_cpuid_patch(c, 63, 64);
	CHECK_EQ(c->entries[0].ebx >> 24, 63);
	CHECK_EQ(c->entries[4].eax, 6);
	CHECK_EQ(c->entries[1].eax >> 26, 63);
	free(c);
	c = fake_cpuid();
	x86_cpuid_patch(c, 3, 6); /* not a power of two: round up */
	CHECK_EQ(c->entries[4].eax, 3);
	CHECK_EQ((c->entries[0].ebx >> 16) & 0xff, 8);
	free(c);
	return check_done("test_x86_cpuid");
}
