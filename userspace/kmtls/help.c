// SPDX-License-Identifier: GPL-2.0
/*
 * Help texts, one per level, and the help object.
 */
#include <linux/kmtls.h>

#include "kmtls.h"

void help_main(FILE *f)
{
	fputs("Usage: kmtls [OPTIONS] OBJECT [COMMAND [ARGS]]\n"
	      "       kmtls help [OBJECT]\n"
	      "where  OBJECT  := { status | config | help }\n"
	      "       OPTIONS := { -j | -p | -V | -h }\n"
	      "\n"
	      "Objects and commands may be shortened to any unique prefix.\n"
	      "\n"
	      "  status [show]                       module version, daemon state, counters\n"
	      "  config [show]                       node-wide settings\n"
	      "  config set handshake-timeout MS     change a setting (CAP_NET_ADMIN)\n"
	      "\n"
	      "Options:\n"
	      "  -j, --json      print JSON\n"
	      "  -p, --pretty    print indented JSON (implies --json)\n"
	      "  -V, --version   print the version of this program\n"
	      "  -h, --help      print this help\n", f);
}

void help_status(FILE *f)
{
	fputs("Usage: kmtls status [ show ]\n"
	      "       kmtls status help\n"
	      "\n"
	      "Prints the module version, whether a handshake daemon is attached,\n"
	      "the handshake timeout, the meshed flows tracked, and the handshake\n"
	      "and configuration counters since the module was loaded.\n", f);
}

void help_config(FILE *f)
{
	fprintf(f,
		"Usage: kmtls config [ show ]\n"
		"       kmtls config set SETTING VALUE [ SETTING VALUE ]...\n"
		"       kmtls config help\n"
		"where  SETTING VALUE := handshake-timeout MS\n"
		"\n"
		"  handshake-timeout MS  how long the kernel waits for the handshake\n"
		"                        daemon, in milliseconds (%u..%u)\n"
		"\n"
		"\"config show\" prints the settings in the form \"config set\" takes.\n"
		"\"config set\" needs CAP_NET_ADMIN.\n",
		KMTLS_HANDSHAKE_TIMEOUT_MIN_MS, KMTLS_HANDSHAKE_TIMEOUT_MAX_MS);
}

struct help_topic {
	const char *name;	/* first: looked up by args_find() */
	void (*print)(FILE *f);
};

static const struct help_topic topics[] = {
	{ "status", help_status },
	{ "config", help_config },
	{ "help", help_main },
};

/* "kmtls help [OBJECT]" */
int cmd_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	int k;

	if (argc == 0) {
		help_main(ctx->out);
		return EXIT_OK;
	}
	if (argc > 1)
		return usage_error(ctx, "kmtls help",
				   "unexpected argument \"%s\"", argv[1]);
	k = ARGS_FIND(argv[0], topics);
	if (k < 0)
		return usage_error(ctx, "kmtls help", "unknown object \"%s\"",
				   argv[0]);
	topics[k].print(ctx->out);
	return EXIT_OK;
}
