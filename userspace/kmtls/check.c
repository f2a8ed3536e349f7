// SPDX-License-Identifier: GPL-2.0
/*
 * "policy check": what the current rule set decides for one connection,
 * asked of the kernel (KMTLS_CMD_POLICY_CHECK), which counts nothing.
 *
 *	kmtls policy check src SPIFFE-ID dst SPIFFE-ID port P [repeat N]
 *
 * The words in any order, each once, keywords by unique prefix.  src is
 * the client's identity and dst the server's, both full SPIFFE IDs (what a
 * handshake verifies), not patterns; P one server port.  With repeat the
 * kernel takes the decision N times (1..KMTLS_POLICY_CHECK_REPEAT_MAX) and
 * says how long they took, for benchmarks:
 *
 *	allow (audit: would deny)
 *	100000 decisions in 31250000 ns, 313 ns each
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "out.h"

#define POLICY_HINT	"kmtls policy help"


enum { KW_SRC, KW_DST, KW_PORT, KW_REPEAT };

static const struct {
	const char *name;
	const char *value;	/* what the keyword takes, for messages */
} keywords[] = {
	[KW_SRC] = { "src", "SPIFFE-ID" },
	[KW_DST] = { "dst", "SPIFFE-ID" },
	[KW_PORT] = { "port", "PORT" },
	[KW_REPEAT] = { "repeat", "N" },
};

int policy_query_parse(int argc, char **argv, struct policy_query *q,
		       char *why, size_t whylen)
{
	bool given[ARRAY_SIZE(keywords)] = { false };
	uint16_t pmin, pmax;
	const char *bad;
	int i, k;

	*q = (struct policy_query){ .repeat = 1 };
	for (i = 0; i < argc; i += 2) {
		k = ARGS_FIND(argv[i], keywords);
		if (k < 0) {
			snprintf(why, whylen,
				 "unknown keyword \"%s\", expected src, dst, port or repeat",
				 argv[i]);
			return -EINVAL;
		}
		if (given[k]) {
			snprintf(why, whylen, "%s given twice",
				 keywords[k].name);
			return -EINVAL;
		}
		if (i + 1 >= argc) {
			snprintf(why, whylen, "missing %s after \"%s\"",
				 keywords[k].value, keywords[k].name);
			return -EINVAL;
		}
		given[k] = true;
		switch (k) {
		case KW_SRC:
		case KW_DST:
			if (spiffe_id_check(argv[i + 1], &bad)) {
				snprintf(why, whylen,
					 "invalid %s \"%s\": %s%s",
					 keywords[k].name, argv[i + 1], bad,
					 strchr(argv[i + 1], '*') ?
					 " (check takes the SPIFFE IDs of one connection, not patterns)" :
					 "");
				return -EINVAL;
			}
			if (k == KW_SRC)
				q->src = argv[i + 1];
			else
				q->dst = argv[i + 1];
			break;
		case KW_PORT:
			if (port_range_parse(argv[i + 1], &pmin, &pmax, why,
					     whylen))
				return -EINVAL;
			if (pmin != pmax) {
				snprintf(why, whylen,
					 "invalid port \"%s\": check takes one port, not a range",
					 argv[i + 1]);
				return -EINVAL;
			}
			q->port = pmin;
			break;
		case KW_REPEAT:
			switch (args_parse_u32(argv[i + 1], &q->repeat)) {
			case -EINVAL:
				snprintf(why, whylen,
					 "invalid repeat \"%s\": not a number",
					 argv[i + 1]);
				return -EINVAL;
			case 0:
				if (q->repeat >= 1 &&
				    q->repeat <= KMTLS_POLICY_CHECK_REPEAT_MAX)
					break;
				/* fall through */
			default:
				snprintf(why, whylen,
					 "repeat \"%s\" out of range 1..%u",
					 argv[i + 1],
					 KMTLS_POLICY_CHECK_REPEAT_MAX);
				return -EINVAL;
			}
			q->has_repeat = true;
			break;
		}
	}
	for (k = KW_SRC; k <= KW_PORT; k++) {
		if (!given[k]) {
			snprintf(why, whylen, "missing \"%s %s\"",
				 keywords[k].name, keywords[k].value);
			return -EINVAL;
		}
	}
	return 0;
}

bool policy_query_put(struct nlmsghdr *nlh, const struct policy_query *q)
{
	return mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				       KMTLS_A_POLICY_SRC, q->src) &&
	       mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				       KMTLS_A_POLICY_DST, q->dst) &&
	       mnl_attr_put_u16_check(nlh, KMTLS_NL_TX_SIZE,
				      KMTLS_A_POLICY_PORT, q->port) &&
	       mnl_attr_put_u32_check(nlh, KMTLS_NL_TX_SIZE,
				      KMTLS_A_POLICY_REPEAT, q->repeat);
}

/* ---- the reply --------------------------------------------------------- */

static const struct kmtls_nl_policy decision_policy[KMTLS_A_POLICY_MAX + 1] = {
	[KMTLS_A_POLICY_ACTION] = { KMTLS_NL_U8, true, "action" },
	[KMTLS_A_POLICY_PAD] = { KMTLS_NL_PAD, false, "pad" },
	[KMTLS_A_POLICY_WOULD_DENY] = { KMTLS_NL_U8, false, "would-deny" },
	[KMTLS_A_POLICY_ELAPSED_NS] = { KMTLS_NL_U64, true, "elapsed-ns" },
};

static int decision_cb(const struct nlmsghdr *nlh,
		       const struct nlattr *const *tb, void *data,
		       struct kmtls_nl_err *err)
{
	struct policy_decision *d = data;

	(void)nlh;
	(void)err;
	d->action = mnl_attr_get_u8(tb[KMTLS_A_POLICY_ACTION]);
	d->would_deny = tb[KMTLS_A_POLICY_WOULD_DENY] &&
			mnl_attr_get_u8(tb[KMTLS_A_POLICY_WOULD_DENY]);
	d->elapsed_ns = mnl_attr_get_u64(tb[KMTLS_A_POLICY_ELAPSED_NS]);
	d->received = true;
	return 0;
}

void policy_decision_reply_init(struct kmtls_nl_reply *reply,
				const struct nlattr **tb,
				struct policy_decision *d)
{
	*reply = (struct kmtls_nl_reply){
		.policy = decision_policy,
		.maxtype = KMTLS_A_POLICY_MAX,
		.tb = tb,
		.cb = decision_cb,
		.data = d,
	};
}

int policy_decision_print(FILE *f, const struct kmtls_opts *opts,
			  const struct policy_query *q,
			  const struct policy_decision *d)
{
	const char *name = policy_action_name(d->action);
	char s[128], num[16];
	struct out o;

	out_init(&o, f, opts, "");
	out_begin(&o);
	if (!name) {
		snprintf(num, sizeof(num), "action %u", d->action);
		out_json_u64(&o, "action", d->action);
	} else {
		out_json_str(&o, "action", name);
	}
	snprintf(s, sizeof(s), "%s%s", name ? name : num,
		 d->would_deny ? " (audit: would deny)" : "");
	out_text(&o, s);
	out_json_bool(&o, "would-deny", d->would_deny);
	out_json_u64(&o, "elapsed-ns", d->elapsed_ns);
	out_json_u64(&o, "repeat", q->repeat);
	if (q->has_repeat) {
		/* Rounded to the nearest nanosecond. */
		snprintf(s, sizeof(s),
			 "%" PRIu32 " %s in %" PRIu64 " ns, %" PRIu64 " ns each",
			 q->repeat, q->repeat == 1 ? "decision" : "decisions",
			 d->elapsed_ns,
			 (d->elapsed_ns + q->repeat / 2) / q->repeat);
		out_text(&o, s);
	}
	return out_end(&o);
}

/* ---- the command ------------------------------------------------------- */

int policy_check(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct policy_decision d = { 0 };
	struct kmtls_nl_reply reply;
	struct kmtls_nl_err err;
	struct policy_query q;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	char why[512];
	int ret;

	if (argc > 0 && strcmp(argv[0], "help") == 0) {
		help_policy(ctx->out);
		return EXIT_OK;
	}
	if (policy_query_parse(argc, argv, &q, why, sizeof(why)))
		return usage_error(ctx, POLICY_HINT, "%s", why);

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, KMTLS_CMD_POLICY_CHECK, 0);
	if (!policy_query_put(nlh, &q)) {
		kmtls_nl_close(nl);
		fputs("Error: SPIFFE IDs too long together for one request\n",
		      ctx->err);
		return EXIT_FAIL;
	}
	policy_decision_reply_init(&reply, tb, &d);
	ret = kmtls_nl_request(nl, nlh, &reply, &err);
	kmtls_nl_close(nl);
	if (ret)
		return nl_error(ctx, &err);
	if (!d.received) {
		kmtls_nl_seterr(&err, -EBADMSG,
				"malformed reply: the kernel sent no decision");
		return nl_error(ctx, &err);
	}
	nl_warning(ctx, &err);
	return print_result(ctx, policy_decision_print(ctx->out, &ctx->opts,
						       &q, &d));
}
