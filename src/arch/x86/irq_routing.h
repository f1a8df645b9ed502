/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routing as on a PC (and as the MADT / MP table describe it).
 */
#ifndef ARCH_X86_IRQ_ROUTING_H
#define ARCH_X86_IRQ_ROUTING_H

/*
 * Route ISA IRQs 0-15 to the PICs and GSIs 0-23 to IOAPIC pins on the VM
 * @vm_fd (its irqchip created). Returns 0 or -errno.
 */
int x86_setup_irq_routing(int vm_fd);

#endif /* ARCH_X86_IRQ_ROUTING_H */
