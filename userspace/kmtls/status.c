// SPDX-License-Identifier: GPL-2.0
/*
 * The status object: the module's version, whether a handshake daemon is
 * attached, the handshake timeout and the counters (KMTLS_CMD_GET_STATUS).
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "out.h"

static const struct kmtls_nl_policy status_policy[KMTLS_A_STATUS_MAX + 1] = {
	[KMTLS_A_STATUS_VERSION] = { KMTLS_NL_STRING, true, "version" },
	[KMTLS_A_STATUS_DAEMON_ATTACHED] = { KMTLS_NL_U8, true, "daemon-attached" },
	[KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS] = { KMTLS_NL_U32, true, "handshake-timeout-ms" },
	[KMTLS_A_STATUS_FLOWS] = { KMTLS_NL_U32, true, "flows" },
	[KMTLS_A_STATUS_HANDSHAKES] = { KMTLS_NL_U64, true, "handshakes" },
	[KMTLS_A_STATUS_HANDSHAKES_FAILED] = { KMTLS_NL_U64, true, "handshakes-failed" },
	[KMTLS_A_STATUS_CONFIG_CHANGES] = { KMTLS_NL_U64, true, "config-changes" },
	[KMTLS_A_STATUS_PAD] = { KMTLS_NL_PAD, false, "pad" },
	[KMTLS_A_STATUS_REFUSED_NO_DAEMON] = { KMTLS_NL_U64, true, "refused-no-daemon" },
	/* Optional: a module from before the policy does not send them. */
	[KMTLS_A_STATUS_POLICY_DEFAULT] = { KMTLS_NL_U8, false, "policy-default" },
	[KMTLS_A_STATUS_POLICY_DENIED] = { KMTLS_NL_U64, false, "policy-denied" },
	[KMTLS_A_STATUS_POLICY_WOULD_DENY] = { KMTLS_NL_U64, false, "policy-would-deny" },
	[KMTLS_A_STATUS_POLICY_RULES] = { KMTLS_NL_U32, false, "policy-rules" },
	[KMTLS_A_STATUS_POLICY_RESET] = { KMTLS_NL_U64, false, "policy-reset" },
	/* Optional: a module from before destination modes does not send it. */
	[KMTLS_A_STATUS_PLAINTEXT_ADMITTED] = { KMTLS_NL_U64, false, "plaintext-admitted" },
};

static int status_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		     void *data, struct kmtls_nl_err *err)
{
	struct kmtls_status *st = data;

	(void)nlh;
	(void)err;
	snprintf(st->version, sizeof(st->version), "%s",
		 mnl_attr_get_str(tb[KMTLS_A_STATUS_VERSION]));
	st->daemon_attached = mnl_attr_get_u8(tb[KMTLS_A_STATUS_DAEMON_ATTACHED]);
	st->handshake_timeout_ms =
		mnl_attr_get_u32(tb[KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS]);
	st->flows = mnl_attr_get_u32(tb[KMTLS_A_STATUS_FLOWS]);
	st->handshakes = mnl_attr_get_u64(tb[KMTLS_A_STATUS_HANDSHAKES]);
	st->handshakes_failed =
		mnl_attr_get_u64(tb[KMTLS_A_STATUS_HANDSHAKES_FAILED]);
	st->config_changes =
		mnl_attr_get_u64(tb[KMTLS_A_STATUS_CONFIG_CHANGES]);
	st->refused_no_daemon =
		mnl_attr_get_u64(tb[KMTLS_A_STATUS_REFUSED_NO_DAEMON]);
	if (tb[KMTLS_A_STATUS_POLICY_DEFAULT]) {
		st->has_policy_default = true;
		st->policy_default =
			mnl_attr_get_u8(tb[KMTLS_A_STATUS_POLICY_DEFAULT]);
	}
	if (tb[KMTLS_A_STATUS_POLICY_DENIED]) {
		st->has_policy_denied = true;
		st->policy_denied =
			mnl_attr_get_u64(tb[KMTLS_A_STATUS_POLICY_DENIED]);
	}
	if (tb[KMTLS_A_STATUS_POLICY_WOULD_DENY]) {
		st->has_policy_would_deny = true;
		st->policy_would_deny =
			mnl_attr_get_u64(tb[KMTLS_A_STATUS_POLICY_WOULD_DENY]);
	}
	if (tb[KMTLS_A_STATUS_POLICY_RULES]) {
		st->has_policy_rules = true;
		st->policy_rules =
			mnl_attr_get_u32(tb[KMTLS_A_STATUS_POLICY_RULES]);
	}
	if (tb[KMTLS_A_STATUS_POLICY_RESET]) {
		st->has_policy_reset = true;
		st->policy_reset =
			mnl_attr_get_u64(tb[KMTLS_A_STATUS_POLICY_RESET]);
	}
	if (tb[KMTLS_A_STATUS_PLAINTEXT_ADMITTED]) {
		st->has_plaintext_admitted = true;
		st->plaintext_admitted =
			mnl_attr_get_u64(tb[KMTLS_A_STATUS_PLAINTEXT_ADMITTED]);
	}
	st->received = true;
	return 0;
}

/* tb: KMTLS_A_STATUS_MAX + 1 entries, owned by the caller. */
void status_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		       struct kmtls_status *st)
{
	*reply = (struct kmtls_nl_reply){
		.policy = status_policy,
		.maxtype = KMTLS_A_STATUS_MAX,
		.tb = tb,
		.cb = status_cb,
		.data = st,
	};
}

int status_fetch(struct kmtls_nl *nl, struct kmtls_status *st,
		 struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_STATUS_MAX + 1];
	struct kmtls_nl_reply reply;
	struct nlmsghdr *nlh;
	int ret;

	memset(st, 0, sizeof(*st));
	status_reply_init(&reply, tb, st);
	nlh = kmtls_nl_msg_start(nl, KMTLS_CMD_GET_STATUS, 0);
	ret = kmtls_nl_request(nl, nlh, &reply, err);
	if (ret)
		return ret;
	if (!st->received)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "the kernel sent no status");
	return 0;
}

void status_out_policy_default(struct out *o, const char *label,
			       const struct kmtls_status *st)
{
	const char *name = policy_action_name(st->policy_default);

	if (!st->has_policy_default)
		return;
	if (name)
		out_str(o, "policy-default", label, name);
	else
		out_u64(o, "policy-default", label, st->policy_default, NULL);
}

/* Text "label: value" lines; JSON keys are the spec's attribute names. */
int status_print(FILE *f, const struct kmtls_opts *opts,
		 const struct kmtls_status *st)
{
	struct out o;

	out_init(&o, f, opts, ": ");
	out_begin(&o);
	out_str(&o, "version", "version", st->version);
	out_bool(&o, "daemon-attached", "daemon attached",
		 st->daemon_attached);
	out_u64(&o, "handshake-timeout-ms", "handshake timeout",
		st->handshake_timeout_ms, "ms");
	out_u64(&o, "flows", "flows", st->flows, NULL);
	out_u64(&o, "handshakes", "handshakes", st->handshakes, NULL);
	out_u64(&o, "handshakes-failed", "failed handshakes",
		st->handshakes_failed, NULL);
	out_u64(&o, "config-changes", "config changes", st->config_changes,
		NULL);
	out_u64(&o, "refused-no-daemon", "refused, no daemon",
		st->refused_no_daemon, NULL);
	status_out_policy_default(&o, "policy default", st);
	if (st->has_policy_denied)
		out_u64(&o, "policy-denied", "policy denied",
			st->policy_denied, NULL);
	if (st->has_policy_would_deny)
		out_u64(&o, "policy-would-deny", "policy would deny",
			st->policy_would_deny, NULL);
	if (st->has_policy_rules)
		out_u64(&o, "policy-rules", "policy rules", st->policy_rules,
			NULL);
	if (st->has_policy_reset)
		out_u64(&o, "policy-reset", "policy reset", st->policy_reset,
			NULL);
	if (st->has_plaintext_admitted)
		out_u64(&o, "plaintext-admitted", "plaintext admitted",
			st->plaintext_admitted, NULL);
	return out_end(&o);
}

int status_show_with(struct kmtls_ctx *ctx, int argc, char **argv,
		     const char *hint, status_printer print)
{
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct kmtls_nl *nl;
	int ret;

	if (argc > 0)
		return usage_error(ctx, hint, "unexpected argument \"%s\"",
				   argv[0]);
	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	ret = status_fetch(nl, &st, &err);
	kmtls_nl_close(nl);
	if (ret)
		return nl_error(ctx, &err);
	nl_warning(ctx, &err);
	return print_result(ctx, print(ctx->out, &ctx->opts, &st));
}

static int status_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return status_show_with(ctx, argc, argv, "kmtls status help",
				status_print);
}

static int status_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_status(ctx->out);
	return EXIT_OK;
}

static const struct kmtls_cmd status_cmds[] = {
	{ "show", status_show },
	{ "help", status_help },
};

int cmd_status(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return kmtls_dispatch(ctx, status_cmds, ARRAY_SIZE(status_cmds),
			      &status_cmds[0], "command", "kmtls status help",
			      argc, argv);
}
