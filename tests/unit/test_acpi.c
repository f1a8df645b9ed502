/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables from acpi_build(), found the way a kernel finds them (RSDP
 * -> XSDT -> FADT -> DSDT, MADT): signatures, lengths, checksums, FADT
 * registers, MADT entries for 1/2/8/64/254 CPUs, the AML PkgLength
 * encoding, and a disassembly of every table but the RSDP by iasl (skipped
 * with a note when acpica-tools is not installed).
 */
#include "arch/x86/acpi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/acpi_tables.h"
#include "arch/x86/aml.h"
#include "arch/x86/layout.h"
#include "check.h"
#include "fake_mem.h"

#define NR_VIRTIO 3

static const struct acpi_mmio_device virtio[NR_VIRTIO] = {
    {.base = 0xd0000000, .size = 0x1000, .gsi = 16},
    {.base = 0xd0001000, .size = 0x1000, .gsi = 17},
    {.base = 0xd0002000, .size = 0x1000, .gsi = 18},
};

/* A table at @gpa: inside the reserved area, checksum and signature ok. */
static const struct acpi_table_header *table(const struct mem *mem,
					     uint64_t gpa, const char *sig)
{
	const struct acpi_table_header *h = gpa_ptr(mem, gpa, sizeof(*h));

	CHECK(gpa >= LAYOUT_ACPI_TABLES);
	CHECK(gpa + h->length <= LAYOUT_ACPI_TABLES_END);
	CHECK(!memcmp(h->signature, sig, 4));
	CHECK(!memcmp(h->oem_id, "VMM   ", 6));
	CHECK(!memcmp(h->creator_id, "VMM ", 4));
	CHECK_EQ(acpi_checksum(h, h->length), 0);
	return h;
}

static int run_iasl(const char *dir, const char *name, const void *data,
		    size_t len, const char *const *needles)
{
	char path[256], cmd[512], *dsl = NULL;
	size_t dsl_len = 0;
	FILE *f;
	int status;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return -1;
	CHECK_EQ(fwrite(data, 1, len, f), len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat >%s.log 2>&1", dir,
		 name, name);
	status = system(cmd);
	CHECK_EQ(status, 0);
	if (status)
		fprintf(stderr, "iasl -d failed on %s: see %s/%s.log\n", name,
			dir, name);
	snprintf(path, sizeof(path), "%s/%s.dsl", dir, name);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return -1;
	dsl = calloc(1, 1 << 20);
	dsl_len = fread(dsl, 1, (1 << 20) - 1, f);
	fclose(f);
	CHECK(dsl_len > 0);
	for (; needles && *needles; needles++) {
		if (!strstr(dsl, *needles)) {
			fprintf(stderr, "%s.dsl lacks %s\n", name, *needles);
			CHECK(0);
		}
	}
	free(dsl);
	return status;
}

static void disassemble(const struct acpi_table_header *const *t,
			const char *const *names, unsigned int n)
{
	static const char *const dsdt_needles[] = {"LNRO0005", "PNP0501",
						   "_S5_", "VR02", NULL};
	char dir[] = "/tmp/test_acpi.XXXXXX", cmd[64];
	int failed = 0;

	if (system("command -v iasl >/dev/null 2>&1")) {
		printf("test_acpi: iasl not installed, disassembly skipped\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	/*
	 * Not the RSDP: iasl -d refuses a binary whose signature ("RSD PTR ")
	 * is not a valid name segment. Its checksums are checked above.
	 */
	for (unsigned int i = 0; i < n; i++)
		failed |=
		    run_iasl(dir, names[i], t[i], t[i]->length,
			     strcmp(names[i], "dsdt") ? NULL : dsdt_needles);
	/* Keep the evidence when something failed. */
	if (!failed) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		CHECK_EQ(system(cmd), 0);
	}
}

static void check_madt(const struct acpi_table_header *h, unsigned int cpus)
{
	const struct acpi_madt *m = (const void *)h;
	const uint8_t *p = (const uint8_t *)(m + 1),
		      *end = (const uint8_t *)h + h->length;
	unsigned int lapics = 0, ioapics = 0, isos = 0;

	CHECK_EQ(h->length, 44 + 8 * cpus + 12 + 2 * 10 + 6);
	CHECK_EQ(m->lapic_addr, LAYOUT_LAPIC_ADDR);
	CHECK_EQ(m->flags, 1);
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		if (p[0] == ACPI_MADT_LAPIC) {
			const struct acpi_madt_lapic *l = (const void *)p;

			CHECK_EQ(l->apic_id, lapics);
			CHECK_EQ(l->flags, 1);
			lapics++;
		} else if (p[0] == ACPI_MADT_IOAPIC) {
			const struct acpi_madt_ioapic *io = (const void *)p;

			CHECK_EQ(io->id, cpus); /* not a LAPIC's id */
			CHECK_EQ(io->addr, LAYOUT_IOAPIC_ADDR);
			CHECK_EQ(io->gsi_base, 0);
			ioapics++;
		} else if (p[0] == ACPI_MADT_ISO) {
			const struct acpi_madt_iso *iso = (const void *)p;

			if (iso->source == 0)
				CHECK_EQ(iso->gsi, 2);
			else
				CHECK_EQ(iso->flags, 0xd); /* level, high */
			isos++;
		}
		p += p[1];
	}
	CHECK(p == end);
	CHECK_EQ(lapics, cpus);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(isos, 2);
}

static void check_fadt(const struct acpi_fadt *f)
{
	CHECK_EQ(f->header.length, 276);
	CHECK_EQ(f->header.revision, 6);
	CHECK_EQ(f->flags & (1u << 20), 1u << 20); /* HW_REDUCED_ACPI */
	CHECK_EQ(f->flags & (1u << 10), 1u << 10); /* RESET_REG_SUP */
	CHECK_EQ(f->sci_int, LAYOUT_SCI_IRQ);
	CHECK_EQ(f->sleep_control_reg.space_id, 0);
	CHECK_EQ(f->sleep_control_reg.bit_width, 8);
	CHECK_EQ(f->sleep_control_reg.address, LAYOUT_ACPI_SLEEP_CTL);
	CHECK_EQ(f->sleep_status_reg.address, LAYOUT_ACPI_SLEEP_STS);
	CHECK_EQ(f->reset_reg.address, LAYOUT_ACPI_RESET_REG);
	CHECK_EQ(f->reset_reg.bit_width, 8);
	CHECK_EQ(f->reset_value, LAYOUT_ACPI_RESET_VALUE);
	CHECK_EQ(f->dsdt, 0);
	CHECK(!memcmp(&f->hypervisor_id, "VMM     ", 8));
}

static void test_tables(unsigned int cpus, bool iasl)
{
	static const char *const names[] = {"xsdt", "facp", "apic", "dsdt"};
	struct acpi_config cfg = {.nr_cpus = cpus,
				  .com1 = true,
				  .virtio = virtio,
				  .nr_virtio = NR_VIRTIO};
	const struct acpi_table_header *t[4];
	const struct acpi_fadt *fadt;
	const struct acpi_rsdp *rsdp;
	uint64_t entries[2];
	struct mem mem;

	CHECK_EQ(fake_mem_create(&mem, 16 * MiB), 0);
	CHECK_EQ(acpi_build(&mem, &cfg), 0);

	rsdp = gpa_ptr(&mem, LAYOUT_ACPI_RSDP, sizeof(*rsdp));
	CHECK(!memcmp(rsdp->signature, "RSD PTR ", 8));
	CHECK_EQ(rsdp->revision, 2);
	CHECK_EQ(rsdp->length, 36);
	CHECK_EQ(acpi_checksum(rsdp, 20), 0);
	CHECK_EQ(acpi_checksum(rsdp, 36), 0);

	t[0] = table(&mem, rsdp->xsdt_addr, "XSDT");
	CHECK_EQ(t[0]->length, 36 + 2 * 8);
	memcpy(entries, t[0] + 1, sizeof(entries));
	t[1] = table(&mem, entries[0], "FACP");
	t[2] = table(&mem, entries[1], "APIC");
	fadt = (const void *)t[1];
	t[3] = table(&mem, fadt->x_dsdt, "DSDT");
	CHECK_EQ(t[3]->revision, 2);
	check_fadt(fadt);
	check_madt(t[2], cpus);
	if (iasl)
		disassemble(t, names, 4);
	fake_mem_destroy(&mem);
}

static void test_errors(void)
{
	struct acpi_mmio_device far = {.base = 1ULL << 32, .size = 4096};
	struct acpi_config cfg = {.nr_cpus = 0};
	struct mem mem;

	CHECK_EQ(fake_mem_create(&mem, 16 * MiB), 0);
	CHECK_EQ(acpi_build(&mem, &cfg), -EINVAL);
	cfg.nr_cpus = 255;
	CHECK_EQ(acpi_build(&mem, &cfg), -EINVAL);
	cfg.nr_cpus = 254;
	CHECK_EQ(acpi_build(&mem, &cfg), 0);
	cfg.virtio = &far;
	cfg.nr_virtio = 1;
	CHECK_EQ(acpi_build(&mem, &cfg), -EINVAL);
	fake_mem_destroy(&mem);

	/* RAM that does not reach the BIOS area. */
	CHECK_EQ(fake_mem_create(&mem, 512 * KiB), 0);
	cfg.nr_virtio = 0;
	CHECK_EQ(acpi_build(&mem, &cfg), -EFAULT);
	fake_mem_destroy(&mem);
}

/* PkgLength: 1 byte up to 63, then 2 bytes (lead byte 0x4n) and more. */
static void test_pkglength(void)
{
	static uint8_t buf[8192], zeros[5000];
	struct aml a;
	size_t mark;

	aml_init(&a, buf, sizeof(buf));
	mark = aml_package(&a, 0); /* content: the count byte */
	aml_bytes(&a, zeros, 61);
	aml_close(&a, mark);
	CHECK_EQ(a.len, 1 + 1 + 62);
	CHECK_EQ(buf[1], 63);

	aml_init(&a, buf, sizeof(buf));
	mark = aml_package(&a, 0);
	aml_bytes(&a, zeros, 62); /* 63 + 1 > 63: two bytes */
	aml_close(&a, mark);
	CHECK_EQ(a.len, 1 + 2 + 63);
	CHECK_EQ(buf[1], 0x40 | (65 & 0xf));
	CHECK_EQ(buf[2], 65 >> 4);

	aml_init(&a, buf, sizeof(buf));
	mark = aml_package(&a, 0);
	aml_bytes(&a, zeros, 4999); /* 5000 + 3 needs three bytes */
	aml_close(&a, mark);
	CHECK_EQ(buf[1], 0x80 | (5003 & 0xf));
	CHECK_EQ(buf[2], (5003 >> 4) & 0xff);
	CHECK_EQ(buf[3], 5003 >> 12);
	CHECK_EQ(aml_err(&a), 0);

	/* Overflow is sticky and never writes past the buffer. */
	memset(buf, 0xee, sizeof(buf));
	aml_init(&a, buf, 4);
	aml_string(&a, "LNRO0005");
	aml_integer(&a, 1);
	CHECK_EQ(aml_err(&a), -ENOSPC);
	CHECK(a.len <= 4);
	CHECK_EQ(buf[4], 0xee);
}

int main(void)
{
	test_tables(1, true);
	test_tables(2, false);
	test_tables(8, false);
	test_tables(64, true);
	test_tables(254, false);
	test_errors();
	test_pkglength();
	return check_done("test_acpi");
}
