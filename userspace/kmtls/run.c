// SPDX-License-Identifier: GPL-2.0
/*
 * The top of the grammar: options, then the object.
 *
 *	kmtls [OPTIONS] OBJECT [COMMAND [ARGS]]
 *
 * Each object lives in its own file (status.c, config.c, identity.c,
 * dest.c, flow.c, policy.c, help.c).  "flow" finds "flows" as a prefix.
 */
#include "kmtls.h"

static const struct kmtls_cmd objects[] = {
	{ "status", cmd_status },
	{ "config", cmd_config },
	{ "identity", cmd_identity },
	{ "dest", cmd_dest },
	{ "flows", cmd_flows },
	{ "policy", cmd_policy },
	{ "help", cmd_help },
};

int kmtls_run(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const char *bad = NULL;
	int i;

	i = args_parse_opts(argc, argv, &ctx->opts, &bad);
	if (i < 0)
		return usage_error(ctx, "kmtls help", "unknown option \"%s\"",
				   bad);
	if (ctx->opts.version) {
		fprintf(ctx->out, "kmtls %s\n", VERSION);
		return EXIT_OK;
	}
	if (ctx->opts.help) {
		help_main(ctx->out);
		return EXIT_OK;
	}
	return kmtls_dispatch(ctx, objects, ARRAY_SIZE(objects), NULL,
			      "object", "kmtls help", argc - i, argv + i);
}
