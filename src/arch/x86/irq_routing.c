/* SPDX-License-Identifier: MIT */
/*
 * The PC's interrupt routing, given to KVM (KVM_SET_GSI_ROUTING).
 */
#include "irq_routing.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "layout.h"

/*
 * Interrupt routing as on a PC (and as the MADT / MP table describe it):
 * ISA IRQs 0-15 on the PICs, GSIs 0-23 on IOAPIC pins with the PIT's
 * IRQ 0 on pin 2; GSI 2 is the PIC cascade and goes nowhere else.
 */
int x86_setup_irq_routing(int vm_fd)
{
	struct kvm_irq_routing *table;
	unsigned int n = 0;
	int r = 0;

	table = calloc(1, sizeof(*table) + 48 * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	for (unsigned int gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		table->entries[n++] = (struct kvm_irq_routing_entry){
		    .gsi = gsi,
		    .type = KVM_IRQ_ROUTING_IRQCHIP,
		    .u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
						 : KVM_IRQCHIP_PIC_SLAVE,
		    .u.irqchip.pin = gsi % 8,
		};
	}
	for (unsigned int gsi = 0; gsi < LAYOUT_IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		table->entries[n++] = (struct kvm_irq_routing_entry){
		    .gsi = gsi,
		    .type = KVM_IRQ_ROUTING_IRQCHIP,
		    .u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC,
		    .u.irqchip.pin = gsi == 0 ? 2 : gsi,
		};
	}
	table->nr = n;
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, table) < 0)
		r = -errno;
	free(table);
	return r;
}
