# guests/guests.mk: the freestanding test guests, included by the top-level
# Makefile. `make guests` builds, for each guest NAME in GUEST_NAMES:
#   $(O)/guests/NAME.elf      PVH image (ELF64 with the Xen PHYS32_ENTRY note)
#   $(O)/guests/NAME.bzImage  the same code as a bzImage (64-bit entry)
# Both come from one link (guests/lib/guest.lds.S); the bzImage is
# objcopy -O binary of the ELF behind setup sectors written by the host
# tool mkbzimage. The guests never get sanitizer or hosted flags: they
# have their own GUEST_CFLAGS. Linux guests are built elsewhere
# (guests/linux), not from this target.

GUEST_NAMES := hello smp spin uart vcon doorbell vblk storm

GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) -ffreestanding -fno-pic \
	-fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fcf-protection=none -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fno-common --param=min-pagesize=0 \
	-MMD -MP -I. -Isrc -Iguests
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
	-Wl,--no-warn-rwx-segments
OBJCOPY ?= objcopy

GUEST_LIB_SRCS := $(filter-out guests/lib/realmode.S guests/lib/guest.lds.S, \
	$(wildcard guests/lib/*.c guests/lib/*.S))
GUEST_LIB_OBJS := $(addsuffix .o,$(basename $(GUEST_LIB_SRCS:%=$(O)/%)))
GUEST_LDS := $(O)/guests/guest.lds
GUEST_REALMODE := $(O)/guests/realmode.bin
MKBZIMAGE := $(O)/guests/tools/mkbzimage
GUEST_IMAGES := $(foreach g,$(GUEST_NAMES),$(O)/guests/$(g).elf \
	$(O)/guests/$(g).bzImage)

guests: $(GUEST_IMAGES)

# Guest objects live in $(O)/guests/, apart from the VMM's $(O)/obj/.
$(O)/guests/%.o: guests/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GCC     $<")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(O)/guests/%.o: guests/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GAS     $<")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_LDS): guests/lib/guest.lds.S guests/lib/image.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) -E -P -x c -Iguests/lib -o $@ $<

$(GUEST_REALMODE): $(O)/guests/lib/realmode.o
	$(Q)$(OBJCOPY) -O binary -j .text $< $@

# Host tool: built with the host flags (and sanitizers, if any).
$(MKBZIMAGE): guests/tools/mkbzimage.c guests/lib/image.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  HOSTCC  $<")
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

define GUEST_RULES
$(1)_GUEST_OBJS := $$(addsuffix .o,$$(basename \
	$$(patsubst %,$$(O)/%,$$(wildcard guests/$(1)/*.c guests/$(1)/*.S))))

$$(O)/guests/$(1).elf: $$($(1)_GUEST_OBJS) $$(GUEST_LIB_OBJS) $$(GUEST_LDS)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(GUEST_LDFLAGS) -Wl,-T,$$(GUEST_LDS) -o $$@ \
		$$($(1)_GUEST_OBJS) $$(GUEST_LIB_OBJS)

$$(O)/guests/$(1).bin: $$(O)/guests/$(1).elf
	$$(Q)$$(OBJCOPY) -O binary $$< $$@

$$(O)/guests/$(1).bzImage: $$(O)/guests/$(1).bin $$(O)/guests/$(1).elf \
		$$(GUEST_REALMODE) $$(MKBZIMAGE)
	@$$(if $$(Q),echo "  BZIMAGE $$@")
	$$(Q)$$(MKBZIMAGE) $$(GUEST_REALMODE) $$(O)/guests/$(1).elf $$< $$@ \
		"vmm test guest $(1)"
endef

$(foreach g,$(GUEST_NAMES),$(eval $(call GUEST_RULES,$(g))))

# Header dependencies (-MMD) of every guest object and of mkbzimage.
-include $(GUEST_LIB_OBJS:.o=.d) $(MKBZIMAGE).d \
	$(foreach g,$(GUEST_NAMES),$($(g)_GUEST_OBJS:.o=.d))
