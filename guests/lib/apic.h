/* SPDX-License-Identifier: MIT */
/*
 * xAPIC access through its MMIO page at 0xfee00000 (identity-mapped):
 * register access, enable, EOI, IPIs through the ICR and the LAPIC timer.
 * Register offsets are from the Intel SDM vol. 3, table 11-1.
 *
 * Timer units: KVM's emulated LAPIC timer counts at the APIC bus
 * frequency, 1 GHz unless the VMM changed it (KVM_CAP_X86_APIC_BUS_CYCLES_NS),
 * so with divide-by-1 one count is one nanosecond. apic_timer_*() rely on
 * that; tests must not turn the resulting durations into pass/fail limits.
 */
#ifndef GUESTS_LIB_APIC_H
#define GUESTS_LIB_APIC_H

#include <stdint.h>

#define APIC_MMIO_BASE 0xfee00000ULL

#define APIC_ID		   0x020
#define APIC_VERSION	   0x030
#define APIC_EOI	   0x0b0
#define APIC_SVR	   0x0f0
#define APIC_ICR_LOW	   0x300
#define APIC_ICR_HIGH	   0x310
#define APIC_LVT_TIMER	   0x320
#define APIC_TIMER_INIT	   0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE  0x3e0

/* ICR low: delivery modes and flags. */
#define APIC_ICR_INIT	      0x00000500
#define APIC_ICR_STARTUP      0x00000600
#define APIC_ICR_LEVEL_ASSERT 0x00004000
#define APIC_ICR_BUSY	      0x00001000 /* delivery status: send pending */

#define APIC_LVT_MASKED	    0x00010000
#define APIC_TIMER_PERIODIC 0x00020000

/* The bus clock: counts per microsecond at divide-by-1 (see above). */
#define APIC_TIMER_COUNTS_PER_US 1000

uint32_t apic_read(uint32_t reg);
void apic_write(uint32_t reg, uint32_t val);

/* Local APIC id of the calling CPU (xAPIC: bits 31:24 of APIC_ID). */
uint32_t apic_id(void);

/* Software-enable the LAPIC with VEC_SPURIOUS as its spurious vector. */
void apic_enable(void);

void apic_eoi(void);

/*
 * Send an IPI: @icr_low (delivery mode, vector, flags) to APIC id @dest.
 * Waits (bounded) for the previous IPI to leave. Returns 0, or -1 if the
 * delivery status never cleared.
 */
int apic_send_ipi(uint32_t dest, uint32_t icr_low);

/*
 * Start the LAPIC timer at divide-by-1: every @period_us microseconds
 * (periodic) or once after @period_us, raising @vector. @period_us must be
 * at most 4,000,000 (the 32-bit counter at 1 GHz).
 */
void apic_timer_start(uint8_t vector, uint32_t period_us, int periodic);

/* Mask the timer and clear its count. */
void apic_timer_stop(void);

/*
 * TSC frequency in kHz, measured against 10 ms of LAPIC timer counts (1
 * count per ns at divide-by-1; the LAPIC must be enabled). Masks and stops
 * the timer. Returns 0 when the timer does not count (gives up after
 * ~1e10 TSC cycles).
 */
uint64_t apic_calibrate_tsc_khz(void);

#endif /* GUESTS_LIB_APIC_H */
