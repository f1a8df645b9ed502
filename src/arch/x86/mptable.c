/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables, for kernels that look
 * for CPUs and interrupt routing there (CONFIG_X86_MPPARSE) rather than
 * in ACPI. The configuration table starts at LAYOUT_MPTABLE: header,
 * processors, the ISA bus, the IOAPIC, I/O and local interrupt entries.
 * The floating pointer sits at LAYOUT_MPTABLE_FLOATING, in the last KiB
 * of base memory that arch/x86/kernel/mpparse.c scans. The entry layouts
 * are those of the spec's chapter 4 ("MP Configuration Table").
 */
#define pr_fmt(fmt) "mptable: " fmt

#include "mptable.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "layout.h"

struct mp_floating {
	char signature[4]; /* "_MP_" */
	uint32_t config_addr;
	uint8_t length;	  /* in 16-byte paragraphs: 1 */
	uint8_t spec_rev; /* 4: version 1.4 */
	uint8_t checksum;
	uint8_t feature[5]; /* feature[0] = 0: a table is present */
} __attribute__((packed));

struct mp_config {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type; /* MP_ENTRY_PROCESSOR */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t cpu_flags;
	uint32_t signature; /* CPUID family/model/stepping */
	uint32_t features;  /* CPUID.1:EDX */
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type; /* MP_ENTRY_BUS */
	uint8_t bus_id;
	char bus_type[6]; /* "ISA   " */
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type; /* MP_ENTRY_IOAPIC */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags; /* bit 0: usable */
	uint32_t addr;
} __attribute__((packed));

/* I/O and local interrupt assignment entries share one layout. */
struct mp_irq {
	uint8_t type;	  /* MP_ENTRY_IO_IRQ or MP_ENTRY_LOCAL_IRQ */
	uint8_t irq_type; /* MP_IRQ_* */
	uint16_t flags;	  /* polarity/trigger; 0 = as the bus says */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic; /* 0xff: every local APIC */
	uint8_t dst_pin;  /* IOAPIC INTIN or LINTIN */
} __attribute__((packed));

BUILD_BUG_ON(sizeof(struct mp_floating) != 16);
BUILD_BUG_ON(sizeof(struct mp_config) != 44);
BUILD_BUG_ON(sizeof(struct mp_processor) != 20);
BUILD_BUG_ON(sizeof(struct mp_bus) != 8);
BUILD_BUG_ON(sizeof(struct mp_ioapic) != 8);
BUILD_BUG_ON(sizeof(struct mp_irq) != 8);
/* The whole area is reserved in e820 and lies below 640 KiB. */
BUILD_BUG_ON(LAYOUT_MPTABLE < LAYOUT_EBDA_START);
BUILD_BUG_ON(LAYOUT_MPTABLE + LAYOUT_MPTABLE_MAX > LAYOUT_LEGACY_START);
BUILD_BUG_ON(LAYOUT_MPTABLE_FLOATING + sizeof(struct mp_floating) !=
	     LAYOUT_MPTABLE + LAYOUT_MPTABLE_MAX);

enum {
	MP_ENTRY_PROCESSOR = 0,
	MP_ENTRY_BUS = 1,
	MP_ENTRY_IOAPIC = 2,
	MP_ENTRY_IO_IRQ = 3,
	MP_ENTRY_LOCAL_IRQ = 4,
};

enum { MP_IRQ_INT = 0, MP_IRQ_NMI = 1, MP_IRQ_EXTINT = 3 };

#define MP_CPU_ENABLED	  1
#define MP_CPU_BSP	  2
#define MP_SPEC_REV	  4	/* version 1.4 */
#define MP_LAPIC_VERSION  0x14	/* integrated APIC, as KVM's LAPIC */
#define MP_IOAPIC_VERSION 0x11	/* KVM's IOAPIC */
#define MP_CPU_SIGNATURE  0x600 /* family 6 */
#define MP_CPU_FEATURES	  0x201 /* CPUID.1:EDX FPU | APIC */
#define MP_ISA_IRQS	  16
#define MP_MAX_CPUS	  254 /* 8-bit APIC ids, 0xff is broadcast */

/* Room for the table between LAYOUT_MPTABLE and the floating pointer. */
#define MP_TABLE_ROOM (LAYOUT_MPTABLE_FLOATING - LAYOUT_MPTABLE)

static uint8_t mp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static size_t mp_table_len(unsigned int nr_cpus)
{
	/* ISA IRQ 2 (the cascade) gets no I/O entry: IRQ 0 owns pin 2. */
	return sizeof(struct mp_config) +
	       nr_cpus * sizeof(struct mp_processor) + sizeof(struct mp_bus) +
	       sizeof(struct mp_ioapic) +
	       (MP_ISA_IRQS - 1 + 2) * sizeof(struct mp_irq);
}

static uint8_t *mp_processors(uint8_t *p, unsigned int nr_cpus)
{
	for (unsigned int i = 0; i < nr_cpus; i++) {
		struct mp_processor cpu = {
		    .type = MP_ENTRY_PROCESSOR,
		    .apic_id = (uint8_t)i,
		    .apic_version = MP_LAPIC_VERSION,
		    .cpu_flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
		    .signature = MP_CPU_SIGNATURE,
		    .features = MP_CPU_FEATURES,
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	return p;
}

static uint8_t *mp_irq(uint8_t *p, uint8_t type, uint8_t irq_type,
		       uint8_t src_irq, uint8_t dst_apic, uint8_t dst_pin)
{
	struct mp_irq e = {
	    .type = type,
	    .irq_type = irq_type,
	    .src_bus = 0,
	    .src_irq = src_irq,
	    .dst_apic = dst_apic,
	    .dst_pin = dst_pin,
	};

	memcpy(p, &e, sizeof(e));
	return p + sizeof(e);
}

static uint8_t *mp_bus_and_irqs(uint8_t *p, uint8_t ioapic_id)
{
	struct mp_bus bus = {.type = MP_ENTRY_BUS, .bus_id = 0};
	struct mp_ioapic io = {
	    .type = MP_ENTRY_IOAPIC,
	    .apic_id = ioapic_id,
	    .apic_version = MP_IOAPIC_VERSION,
	    .flags = 1,
	    .addr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	};

	memcpy(bus.bus_type, "ISA   ", sizeof(bus.bus_type));
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	/* ISA IRQ n on pin n, except the timer's IRQ 0 on pin 2. */
	for (uint8_t irq = 0; irq < MP_ISA_IRQS; irq++) {
		if (irq == 2)
			continue;
		p = mp_irq(p, MP_ENTRY_IO_IRQ, MP_IRQ_INT, irq, ioapic_id,
			   irq == 0 ? 2 : irq);
	}
	/* Virtual wire: the 8259 on LINT0, NMI on LINT1 of every CPU. */
	p = mp_irq(p, MP_ENTRY_LOCAL_IRQ, MP_IRQ_EXTINT, 0, 0xff, 0);
	return mp_irq(p, MP_ENTRY_LOCAL_IRQ, MP_IRQ_NMI, 0, 0xff, 1);
}

int mptable_build(struct mem *mem, unsigned int nr_cpus)
{
	size_t len = mp_table_len(nr_cpus);
	struct mp_config *cfg;
	struct mp_floating *mpf;
	uint8_t *end;

	if (!nr_cpus)
		return -EINVAL;
	if (nr_cpus > MP_MAX_CPUS || len > MP_TABLE_ROOM) {
		pr_err("%u CPUs do not fit in the MP table", nr_cpus);
		return -ENOSPC;
	}
	cfg = gpa_ptr(mem, LAYOUT_MPTABLE, LAYOUT_MPTABLE_MAX);
	if (!cfg)
		return -EFAULT;
	memset(cfg, 0, LAYOUT_MPTABLE_MAX);

	*cfg = (struct mp_config){
	    .length = (uint16_t)len,
	    .spec_rev = MP_SPEC_REV,
	    .entry_count = (uint16_t)(nr_cpus + 2 + MP_ISA_IRQS - 1 + 2),
	    .lapic_addr = (uint32_t)LAYOUT_LAPIC_ADDR,
	};
	memcpy(cfg->signature, "PCMP", 4);
	memcpy(cfg->oem_id, "VMM     ", 8);
	memcpy(cfg->product_id, "VMM         ", 12);
	end = mp_processors((uint8_t *)(cfg + 1), nr_cpus);
	/* The IOAPIC takes the first id after the CPUs', as in the MADT. */
	end = mp_bus_and_irqs(end, (uint8_t)nr_cpus);
	assert((size_t)(end - (uint8_t *)cfg) == len);
	cfg->checksum = mp_checksum(cfg, len);

	mpf = (struct mp_floating *)((uint8_t *)cfg + MP_TABLE_ROOM);
	memcpy(mpf->signature, "_MP_", 4);
	mpf->config_addr = (uint32_t)LAYOUT_MPTABLE;
	mpf->length = 1;
	mpf->spec_rev = MP_SPEC_REV;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
	return 0;
}
