#!/usr/bin/env bash
# vmm's exit status for each way a guest can end the VM (guests/hello
# action=...): ACPI S5 power-off 0, ACPI reset register 3, i8042 reset
# pulse 3, triple fault 4, debug-exit write of V: V. Power-off, reset and
# the triple fault run without --debug-exit, so the status can only come
# from the event itself (hello falls back to a triple fault, status 4, if
# the event does not stop the VM; a poweroff test therefore cannot pass
# by accident).
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/hello.bzImage" "$GUESTS/hello.elf"

# name image action status debug-exit
cases=(
	"poweroff-bz  hello.bzImage poweroff 0   no"
	"poweroff-pvh hello.elf     poweroff 0   no"
	"reset-bz     hello.bzImage reset    3   no"
	"i8042-bz     hello.bzImage i8042    3   no"
	"triple-bz    hello.bzImage triple   4   no"
	"triple-pvh   hello.elf     triple   4   no"
	"exit42-bz    hello.bzImage exit:42  42  yes"
	"exit255-pvh  hello.elf     exit:255 255 yes"
	"exit0-bz     hello.bzImage exit:0   0   yes"
)
for c in "${cases[@]}"; do
	read -r name image action status dbg <<<"$c"
	args=(--kernel "$GUESTS/$image" --mem 64M --cmdline "action=$action")
	[ "$dbg" = yes ] && args+=(--debug-exit)
	vmm_run "$name" 20 "${args[@]}"
	expect_status "$name" "$status" &&
		expect_log "$name" "^hello: action $action\$" &&
		expect_no_log "$name" '^FAIL|guest_exit' &&
		pass "$name"
done
finish
