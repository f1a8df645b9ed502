/* SPDX-License-Identifier: MIT */
/*
 * xAPIC register access. Each access is a 32-bit MMIO load or store that
 * KVM's in-kernel LAPIC handles (SDM vol. 3, 11.4.1: registers are 32 bits
 * wide on 16-byte boundaries and must be accessed as whole dwords).
 */
#include "apic.h"

#include "cpu.h"
#include "io.h"

#define APIC_SVR_ENABLE	 0x100
#define APIC_DIVIDE_BY_1 0xb
/* ICR polls before apic_send_ipi() gives up. */
#define APIC_ICR_POLLS 100000

uint32_t apic_read(uint32_t reg)
{
	return mmio_read32(APIC_MMIO_BASE + reg);
}

void apic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(APIC_MMIO_BASE + reg, val);
}

uint32_t apic_id(void)
{
	return apic_read(APIC_ID) >> 24;
}

void apic_enable(void)
{
	apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

int apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	int i;

	for (i = 0; i < APIC_ICR_POLLS; i++)
		if (!(apic_read(APIC_ICR_LOW) & APIC_ICR_BUSY))
			break;
	if (i == APIC_ICR_POLLS)
		return -1;
	/* The write to ICR low sends; the destination must be set first. */
	apic_write(APIC_ICR_HIGH, dest << 24);
	apic_write(APIC_ICR_LOW, icr_low);
	return 0;
}

void apic_timer_start(uint8_t vector, uint32_t period_us, int periodic)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_BY_1);
	apic_write(APIC_LVT_TIMER,
		   vector | (periodic ? APIC_TIMER_PERIODIC : 0));
	apic_write(APIC_TIMER_INIT, period_us * APIC_TIMER_COUNTS_PER_US);
}

void apic_timer_stop(void)
{
	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_INIT, 0);
}

#define CALIBRATE_NS 10000000 /* 10 ms of LAPIC timer counts */
/* Give up after ~5 s at 2 GHz: the timer does not count. */
#define CALIBRATE_MAX_CYCLES 10000000000ULL

uint64_t apic_calibrate_tsc_khz(void)
{
	uint32_t c0, c1;
	uint64_t t0, t1;

	apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	apic_write(APIC_TIMER_DIVIDE, 0xb); /* divide by 1 */
	apic_write(APIC_TIMER_INIT, 0xffffffff);
	t0 = rdtsc();
	c0 = apic_read(APIC_TIMER_CURRENT);
	do {
		c1 = apic_read(APIC_TIMER_CURRENT);
		t1 = rdtsc();
		if (t1 - t0 > CALIBRATE_MAX_CYCLES)
			return 0;
	} while (c0 - c1 < CALIBRATE_NS);
	apic_timer_stop();
	return (t1 - t0) * 1000000 / (c0 - c1);
}
