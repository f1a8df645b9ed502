/* SPDX-License-Identifier: MIT */
/*
 * Every fixed guest-physical address and guest-visible resource number the
 * VMM uses, each with the reason it is where it is. Nothing else in the tree
 * hard-codes a guest address.
 */
#ifndef BOOT_LAYOUT_H
#define BOOT_LAYOUT_H

/* --- Low memory (below 1 MiB) ------------------------------------------ */

/* Boot GDT for the 64-bit and PVH entries; away from the real-mode IVT. */
#define LAYOUT_BOOT_GDT 0x500
/* Empty boot IDT: Linux installs its own before enabling interrupts. */
#define LAYOUT_BOOT_IDT 0x520
/* PVH struct hvm_start_info, then its memory map (up to 128 entries). */
#define LAYOUT_PVH_START_INFO 0x6000
#define LAYOUT_PVH_MEMMAP     0x6040
#define LAYOUT_PVH_MEMMAP_MAX 128
/* PVH module list (the initrd): right after the 128-entry memory map. */
#define LAYOUT_PVH_MODLIST 0x6c40
/* The zero page (struct boot_params) of the 64-bit boot protocol. */
#define LAYOUT_ZERO_PAGE 0x7000
/* Initial stack for the BSP; grows down under the page tables. */
#define LAYOUT_BOOT_STACK 0x8ff0
/* Identity map of the first 4 GiB: PML4, one PDPT, four 2 MiB-page PDs. */
#define LAYOUT_PML4	0x9000
#define LAYOUT_PDPT	0xa000
#define LAYOUT_PD	0xb000 /* 4 pages: 0xb000..0xefff */
#define LAYOUT_PD_COUNT 4
/* 0x10000-0x10fff stays free RAM: the smp test guest's AP trampoline. */
/* Kernel command line; 64 KiB leaves room for any cmdline_size. */
#define LAYOUT_CMDLINE	   0x20000
#define LAYOUT_CMDLINE_MAX 0x10000
/*
 * The top of base memory is reserved (EBDA). The MP configuration table
 * starts here; 8 KiB holds one processor entry for each of 254 CPUs. The
 * floating pointer takes the last 16 bytes, inside the last KiB below
 * 640 KiB where MPPARSE kernels scan for it.
 */
#define LAYOUT_EBDA_START	0x9e000
#define LAYOUT_MPTABLE		0x9e000
#define LAYOUT_MPTABLE_MAX	0x2000
#define LAYOUT_MPTABLE_FLOATING 0x9fff0
/* ACPI: RSDP in the BIOS area Linux scans (0xe0000-0xfffff), tables after. */
#define LAYOUT_ACPI_RSDP       0xe0000
#define LAYOUT_ACPI_TABLES     0xe0100
#define LAYOUT_ACPI_TABLES_END 0x100000
/* Legacy video/BIOS area, reserved in e820. */
#define LAYOUT_LEGACY_START 0xa0000
#define LAYOUT_HIGH_MEMORY  0x100000 /* 1 MiB */

/* Protected-mode kernel of a non-relocatable bzImage loads here. */
#define LAYOUT_KERNEL_DEFAULT 0x100000
/* --- The 32-bit MMIO hole and RAM above 4 GiB -------------------------- */

/* RAM stops at 3 GiB; [3 GiB, 4 GiB) is MMIO (devices, IOAPIC, LAPIC). */
#define LAYOUT_MMIO_HOLE_START 0xc0000000ULL
#define LAYOUT_MMIO_HOLE_END   0x100000000ULL
#define LAYOUT_HIGH_RAM_START  0x100000000ULL

/* virtio-mmio devices: one 4 KiB window each at the bottom of the hole. */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000 /* VIRTIO_MMIO_WINDOW_SIZE */
/*
 * One IOAPIC pin each: GSI 16..23 for the first eight, then the ISA lines
 * no device of ours uses (edge, active high, as the MP table and ACPI's
 * defaults describe them; not 12, which the guest's i8042 driver may
 * claim for a mouse), as Firecracker hands out 5..23.
 */
#define LAYOUT_VIRTIO_MMIO_MAX 16

/* ACPI hardware-reduced sleep control/status and reset registers (MMIO). */
#define LAYOUT_ACPI_SLEEP_CTL	0xfec0f000ULL /* 1 byte */
#define LAYOUT_ACPI_SLEEP_STS	0xfec0f001ULL /* 1 byte */
#define LAYOUT_ACPI_RESET_REG	0xfec0f002ULL /* 1 byte */
#define LAYOUT_ACPI_REGS_SIZE	4
#define LAYOUT_ACPI_RESET_VALUE 0x42
/* SLP_TYP value the DSDT's _S5 package gives for power-off. */
#define LAYOUT_ACPI_S5_SLP_TYP 5

/* KVM needs three pages for the VMX real-mode TSS and one for its EPT
 * identity map; both sit just below the BIOS area at the top of 4 GiB. */
#define LAYOUT_KVM_IDENTITY_MAP 0xfeffc000ULL
#define LAYOUT_KVM_TSS		0xfeffd000ULL

/* In-kernel irqchip's fixed addresses (KVM defaults). */
#define LAYOUT_IOAPIC_ADDR 0xfec00000ULL
#define LAYOUT_LAPIC_ADDR  0xfee00000ULL

/* --- I/O ports and interrupt lines ------------------------------------- */

#define LAYOUT_COM1_PORT  0x3f8
#define LAYOUT_COM1_IRQ	  4
#define LAYOUT_I8042_DATA 0x60
#define LAYOUT_I8042_CMD  0x64
/* isa-debug-exit compatible port, enabled by --debug-exit. */
#define LAYOUT_DEBUG_EXIT_PORT 0xf4
/* SCI (unused by a hardware-reduced platform but FADT names one). */
#define LAYOUT_SCI_IRQ 9
/* virtio-mmio window n uses GSI LAYOUT_VIRTIO_GSIS[n] (edge). */
#define LAYOUT_VIRTIO_GSIS                                                     \
	{                                                                      \
		16, 17, 18, 19, 20, 21, 22, 23, 3, 5, 6, 7, 10, 11, 14, 15     \
	}
/* The windows whose GSI is 16 + n (the bench's slot is among them). */
#define LAYOUT_VIRTIO_IRQ_BASE	16
#define LAYOUT_VIRTIO_HIGH_GSIS 8
#define LAYOUT_IOAPIC_PINS	24
#endif /* BOOT_LAYOUT_H */
