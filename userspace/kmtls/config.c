// SPDX-License-Identifier: GPL-2.0
/*
 * The config object: node-wide settings.  "config show" prints them in the
 * form "config set" takes, so that
 *	kmtls config set $(kmtls config show)
 * restores them.  policy-default is shown when the module reports it
 * (KMTLS_A_STATUS_POLICY_DEFAULT; a module from before the policy does
 * not).
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "out.h"

#define CONFIG_HINT	"kmtls config help"

/*
 * A setting of KMTLS_CMD_SET_CONFIG: a u32 number from min to max, or a
 * policy action (allow, deny, audit) sent as a u8.
 */
struct setting {
	const char *name;	/* first: looked up by args_find() */
	uint16_t attr;
	uint32_t min, max;
	const char *unit;
	bool action;
};

static const struct setting settings[] = {
	{ "handshake-timeout", KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS,
	  KMTLS_HANDSHAKE_TIMEOUT_MIN_MS, KMTLS_HANDSHAKE_TIMEOUT_MAX_MS, "ms",
	  false },
	{ "policy-default", KMTLS_A_CONFIG_POLICY_DEFAULT, 0, 0, NULL, true },
};

/* The value of s in arg, into *val; EXIT_OK or a usage error. */
static int parse_value(struct kmtls_ctx *ctx, const struct setting *s,
		       const char *arg, uint32_t *val)
{
	char why[128];
	uint8_t action;
	int ret;

	if (s->action) {
		if (policy_action_parse(arg, &action, why, sizeof(why)))
			return usage_error(ctx, CONFIG_HINT,
					   "invalid %s \"%s\": %s", s->name,
					   arg, why);
		*val = action;
		return EXIT_OK;
	}
	ret = args_parse_u32(arg, val);
	if (ret == -EINVAL)
		return usage_error(ctx, CONFIG_HINT,
				   "invalid %s \"%s\": not a number of %s",
				   s->name, arg, s->unit);
	/* The kernel checks too; this only saves a round trip. */
	if (ret || *val < s->min || *val > s->max)
		return usage_error(ctx, CONFIG_HINT,
				   "%s \"%s\" out of range %u..%u %s",
				   s->name, arg, s->min, s->max, s->unit);
	return EXIT_OK;
}

/* Text "<setting> <value>" lines, as "config set" takes them. */
int config_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st)
{
	struct out o;

	out_init(&o, f, opts, " ");
	out_begin(&o);
	out_u64(&o, "handshake-timeout-ms", "handshake-timeout",
		st->handshake_timeout_ms, NULL);
	status_out_policy_default(&o, "policy-default", st);
	return out_end(&o);
}

static int config_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return status_show_with(ctx, argc, argv, CONFIG_HINT, config_print);
}

static int config_set(struct kmtls_ctx *ctx, int argc, char **argv)
{
	uint32_t val[ARRAY_SIZE(settings)];
	bool given[ARRAY_SIZE(settings)] = { false };
	const struct setting *s;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	size_t i;
	int k, ret;

	if (argc == 0)
		return usage_error(ctx, CONFIG_HINT, "missing setting");
	/* Not a prefix: "h" is handshake-timeout's too. */
	if (strcmp(argv[0], "help") == 0) {
		help_config(ctx->out);
		return EXIT_OK;
	}
	for (; argc > 0; argc -= 2, argv += 2) {
		k = ARGS_FIND(argv[0], settings);
		if (k == ARGS_UNKNOWN)
			return usage_error(ctx, CONFIG_HINT,
					   "unknown setting \"%s\"", argv[0]);
		if (k == ARGS_AMBIGUOUS)
			return usage_error(ctx, CONFIG_HINT,
					   "ambiguous setting \"%s\"", argv[0]);
		s = &settings[k];
		if (argc < 2)
			return usage_error(ctx, CONFIG_HINT,
					   "missing value for %s", s->name);
		if (given[k])
			return usage_error(ctx, CONFIG_HINT,
					   "%s given twice", s->name);
		ret = parse_value(ctx, s, argv[1], &val[k]);
		if (ret)
			return ret;
		given[k] = true;
	}

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, KMTLS_CMD_SET_CONFIG, 0);
	for (i = 0; i < ARRAY_SIZE(settings); i++) {
		if (!given[i])
			continue;
		if (settings[i].action)
			mnl_attr_put_u8_check(nlh, KMTLS_NL_TX_SIZE,
					      settings[i].attr,
					      (uint8_t)val[i]);
		else
			mnl_attr_put_u32_check(nlh, KMTLS_NL_TX_SIZE,
					       settings[i].attr, val[i]);
	}
	return nl_change(ctx, nl, nlh);
}

static int config_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_config(ctx->out);
	return EXIT_OK;
}

static const struct kmtls_cmd config_cmds[] = {
	{ "show", config_show },
	{ "set", config_set },
	{ "help", config_help },
};

int cmd_config(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return kmtls_dispatch(ctx, config_cmds, ARRAY_SIZE(config_cmds),
			      &config_cmds[0], "command", CONFIG_HINT,
			      argc, argv);
}
