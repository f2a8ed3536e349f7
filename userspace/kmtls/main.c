// SPDX-License-Identifier: GPL-2.0
/*
 * kmtls: show and change the state of the kmtls kernel module.
 * See kmtls(8).  Exit status: 0 success, 1 the kernel or the system
 * refused, 2 the command line is wrong.
 */
#include <stdio.h>

#include "kmtls.h"

int main(int argc, char **argv)
{
	struct kmtls_ctx ctx = { .out = stdout, .err = stderr };
	int ret;

	ret = kmtls_run(&ctx, argc, argv);
	/* Output that never made it out is a failure, help text included. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		if (ret == EXIT_OK)
			ret = print_result(&ctx, -1);
	}
	return ret;
}
