/* SPDX-License-Identifier: MIT */
/*
 * vmm: argv -> config -> vm_create -> vm_run -> exit status. The only
 * place that exits the process. Subcommands (ctl, top, bench) dispatch to
 * their own modules.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "base/log.h"
#include "subcommands.h"
#include "vm/vm.h"

#ifndef VMM_VERSION
#define VMM_VERSION "0.1.0"
#endif

static int boot(int argc, char **argv)
{
	struct vm_config cfg;
	char err[512] = "";
	struct vm vm;
	sigset_t sigs;
	int status;

	switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CLI_HELP: fputs(cli_usage(), stdout); return 0;
	case CLI_VERSION: printf("vmm %s\n", VMM_VERSION); return 0;
	case CLI_ERROR: pr_err("%s", err); return VMM_EXIT_USAGE;
	case CLI_RUN: break;
	}
	log_set_level(cfg.verbosity >= 2   ? LOG_DEBUG
		      : cfg.verbosity == 1 ? LOG_INFO
					   : LOG_WARN);

	/* Termination signals become an orderly stop on the io loop. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGWINCH); /* read by console backends */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN); /* socket peers that go away */
	sigdelset(&sigs, SIGWINCH);

	if (vm_create(&vm, &cfg, err, sizeof(err), &status)) {
		pr_err("%s", err);
		vm_destroy(&vm);
		return status;
	}
	if (vm_handle_signals(&vm, &sigs))
		pr_warn("cannot watch termination signals");
	status = vm_run(&vm);
	vm_destroy(&vm);
	return status;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		const struct subcommand *sc = subcommand_find(argv[1]);

		if (sc)
			return sc->main(argc - 1, argv + 1);
	}
	return boot(argc, argv);
}
