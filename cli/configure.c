/* SPDX-License-Identifier: MIT */
/* cli_add_devices(): the options, in command-line order, as vmm_* calls. */
#include "configure.h"

int cli_add_devices(struct vmm *vm, const struct cli_options *cfg)
{
	int r = vmm_add_serial(vm, cfg->serial);

	if (!r && cfg->console)
		r = vmm_add_console(vm, NULL, cfg->console);
	for (unsigned int i = 0; !r && i < cfg->nr_ports; i++)
		r = vmm_add_console(vm, cfg->ports[i].name,
				    cfg->ports[i].backend);
	for (unsigned int i = 0; !r && i < cfg->nr_disks; i++)
		r = vmm_add_disk(vm, cfg->disks[i].path, cfg->disks[i].flags,
				 cfg->disks[i].serial);
	for (unsigned int i = 0; !r && i < cfg->nr_nets; i++)
		r = vmm_add_net(vm, cfg->nets[i]);
	for (unsigned int i = 0; !r && i < cfg->nr_fs; i++)
		r = vmm_add_fs(vm, cfg->fs[i].tag, cfg->fs[i].path,
			       cfg->fs[i].flags);
	if (!r && cfg->vsock_cid)
		r = vmm_add_vsock(vm, cfg->vsock_cid, cfg->vsock_path);
	if (!r && cfg->rng)
		r = vmm_add_rng(vm);
	if (!r && cfg->rng_rate)
		r = vmm_set_rng_rate(vm, cfg->rng_rate);
	if (!r)
		r = vmm_set_debug_exit(vm, cfg->debug_exit);
	if (!r && cfg->api_path)
		r = vmm_set_api_socket(vm, cfg->api_path);
	if (!r && cfg->stats_path)
		r = vmm_set_stats_file(vm, cfg->stats_path);
	if (!r)
		r = vmm_set_io_poll(vm, cfg->io_poll_ns);
	if (!r)
		r = vmm_set_io_loop(vm, cfg->io_loop);
	if (!r)
		r = vmm_set_seccomp(vm, cfg->seccomp);
	if (!r)
		r = vmm_set_sample_period(vm, cfg->sample_ms);
	return r;
}
