// SPDX-License-Identifier: GPL-2.0
/*
 * The policy object: which identities may reach which (docs/policy.md).
 *
 *	kmtls policy add [src PATTERN] [dst PATTERN] [port P[-Q]] action ACTION
 *	kmtls policy del ...			(the same words: exact match)
 *	kmtls policy [ show | list ] [-s]
 *	kmtls policy flush
 *
 *	PATTERN := * | spiffe://TD/{*} | spiffe://TD/PATH/{*} | SPIFFE-ID
 *	ACTION  := allow | deny | audit
 *
 * ({*} is a plain "*": a slash and a star cannot stand in a C comment.)
 *
 * The words of add/del come in any order, each at most once; keywords and
 * actions may be shortened to a unique prefix.  Omitted patterns are "*",
 * omitted ports 1-65535.  "policy show" prints every field of each rule
 * explicitly, in the form "policy add" takes after the command:
 *
 *	src * dst spiffe://prod.example/postgres port 5432 action allow
 *
 * so that the output of show, fed back line by line to add, re-creates
 * the set; -s appends " hits N" (which add does not take).  An action this
 * program does not know is printed as its number ("action 7"; a JSON
 * number).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "out.h"

#define POLICY_HINT	"kmtls policy help"

#define PORT_MIN	1
#define PORT_MAX	65535

#define STR(x)	#x
#define XSTR(x)	STR(x)

/* ---- actions and patterns ---------------------------------------------- */

/* Index + 1 is the KMTLS_ACTION_* value. */
static const struct { const char *name; } actions[] = {
	{ "allow" },
	{ "deny" },
	{ "audit" },
};

const char *policy_action_name(uint8_t action)
{
	if (action >= 1 && action <= ARRAY_SIZE(actions))
		return actions[action - 1].name;
	return NULL;
}

int policy_action_parse(const char *s, uint8_t *action, char *why,
			size_t whylen)
{
	int k = ARGS_FIND(s, actions);
	size_t i, len;
	const char *sep = "";

	if (k >= 0) {
		*action = (uint8_t)(k + 1);
		return 0;
	}
	if (k == ARGS_UNKNOWN) {
		snprintf(why, whylen, "expected allow, deny or audit");
		return -EINVAL;
	}
	len = (size_t)snprintf(why, whylen, "ambiguous, could be");
	for (i = 0; i < ARRAY_SIZE(actions) && len < whylen; i++) {
		if (!args_is_prefix(s, actions[i].name))
			continue;
		len += (size_t)snprintf(why + len, whylen - len, "%s %s", sep,
					actions[i].name);
		sep = ",";
	}
	return -EINVAL;
}

int policy_pattern_check(const char *s, const char **why)
{
	static const char scheme[] = "spiffe://";
	const size_t slen = strlen(scheme);
	char buf[KMTLS_SPIFFE_ID_MAX_LEN + 3];
	const char *star;
	size_t len;

	if (strcmp(s, "*") == 0)
		return 0;
	if (strncmp(s, scheme, slen) != 0) {
		*why = "a pattern is \"*\", spiffe://TRUST-DOMAIN/*, spiffe://TRUST-DOMAIN/PATH/* or a SPIFFE ID";
		return -EINVAL;
	}
	len = strlen(s);
	if (len > KMTLS_SPIFFE_ID_MAX_LEN) {
		*why = "longer than " XSTR(KMTLS_SPIFFE_ID_MAX_LEN) " bytes";
		return -EINVAL;
	}
	star = strchr(s, '*');
	if (!star)
		return spiffe_id_check(s, why);
	if (star == s + slen) {
		*why = "the trust domain cannot be a wildcard; \"*\" alone matches any identity";
		return -EINVAL;
	}
	if (star != s + len - 1 || s[len - 2] != '/') {
		*why = "\"*\" only stands alone or as the whole last path segment (spiffe://TRUST-DOMAIN/*, spiffe://TRUST-DOMAIN/PATH/*)";
		return -EINVAL;
	}
	/* What comes before the last "/": an ID, or only a trust domain. */
	memcpy(buf, s, len - 2);
	buf[len - 2] = '\0';
	if (!strchr(buf + slen, '/'))
		strcat(buf, "/x");	/* spiffe://TD/{*}: check TD alone */
	return spiffe_id_check(buf, why);
}

/* ---- the words of add and del ------------------------------------------ */

enum { KW_SRC, KW_DST, KW_PORT, KW_ACTION };

static const struct {
	const char *name;
	const char *value;	/* what the keyword takes, for messages */
} keywords[] = {
	[KW_SRC] = { "src", "PATTERN" },
	[KW_DST] = { "dst", "PATTERN" },
	[KW_PORT] = { "port", "P[-Q]" },
	[KW_ACTION] = { "action", "allow|deny|audit" },
};

int policy_parse(int argc, char **argv, struct kmtls_rule *r, char *why,
		 size_t whylen)
{
	static char any[] = "*";
	bool given[ARRAY_SIZE(keywords)] = { false };
	char reason[160];
	const char *bad;
	int i, k;

	*r = (struct kmtls_rule){
		.src = any, .dst = any,
		.port_min = PORT_MIN, .port_max = PORT_MAX,
	};
	for (i = 0; i < argc; i += 2) {
		k = ARGS_FIND(argv[i], keywords);
		if (k < 0) {
			snprintf(why, whylen,
				 "unknown keyword \"%s\", expected src, dst, port or action",
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
			if (policy_pattern_check(argv[i + 1], &bad)) {
				snprintf(why, whylen,
					 "invalid %s pattern \"%s\": %s",
					 keywords[k].name, argv[i + 1], bad);
				return -EINVAL;
			}
			if (k == KW_SRC)
				r->src = argv[i + 1];
			else
				r->dst = argv[i + 1];
			break;
		case KW_PORT:
			if (port_range_parse(argv[i + 1], &r->port_min,
					     &r->port_max, why, whylen))
				return -EINVAL;
			break;
		case KW_ACTION:
			if (policy_action_parse(argv[i + 1], &r->action,
						reason, sizeof(reason))) {
				snprintf(why, whylen,
					 "invalid action \"%s\": %s",
					 argv[i + 1], reason);
				return -EINVAL;
			}
			break;
		}
	}
	if (!given[KW_ACTION]) {
		snprintf(why, whylen, "missing \"action allow|deny|audit\"");
		return -EINVAL;
	}
	return 0;
}

bool policy_put(struct nlmsghdr *nlh, const struct kmtls_rule *r)
{
	return mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				       KMTLS_A_POLICY_SRC, r->src) &&
	       mnl_attr_put_strz_check(nlh, KMTLS_NL_TX_SIZE,
				       KMTLS_A_POLICY_DST, r->dst) &&
	       mnl_attr_put_u16_check(nlh, KMTLS_NL_TX_SIZE,
				      KMTLS_A_POLICY_PORT_MIN, r->port_min) &&
	       mnl_attr_put_u16_check(nlh, KMTLS_NL_TX_SIZE,
				      KMTLS_A_POLICY_PORT_MAX, r->port_max) &&
	       mnl_attr_put_u8_check(nlh, KMTLS_NL_TX_SIZE,
				     KMTLS_A_POLICY_ACTION, r->action);
}

/* ---- replies ----------------------------------------------------------- */

static const struct kmtls_nl_policy rule_policy[KMTLS_A_POLICY_MAX + 1] = {
	[KMTLS_A_POLICY_SRC] = { KMTLS_NL_STRING, true, "src" },
	[KMTLS_A_POLICY_DST] = { KMTLS_NL_STRING, true, "dst" },
	[KMTLS_A_POLICY_PORT_MIN] = { KMTLS_NL_U16, true, "port-min" },
	[KMTLS_A_POLICY_PORT_MAX] = { KMTLS_NL_U16, true, "port-max" },
	[KMTLS_A_POLICY_ACTION] = { KMTLS_NL_U8, true, "action" },
	[KMTLS_A_POLICY_HITS] = { KMTLS_NL_U64, true, "hits" },
	[KMTLS_A_POLICY_PAD] = { KMTLS_NL_PAD, false, "pad" },
};

void policy_list_free(struct kmtls_rule_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].src);
		free(l->v[i].dst);
	}
	free(l->v);
	*l = (struct kmtls_rule_list){ 0 };
}

static int rule_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		   void *data, struct kmtls_nl_err *err)
{
	struct kmtls_rule_list *l = data;
	struct kmtls_rule r = { 0 };

	(void)nlh;
	r.port_min = mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MIN]);
	r.port_max = mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MAX]);
	if (r.port_min < PORT_MIN || r.port_max < r.port_min)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: rule with port range %u-%u",
				       r.port_min, r.port_max);
	r.action = mnl_attr_get_u8(tb[KMTLS_A_POLICY_ACTION]);
	r.hits = mnl_attr_get_u64(tb[KMTLS_A_POLICY_HITS]);

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	r.src = strdup(mnl_attr_get_str(tb[KMTLS_A_POLICY_SRC]));
	r.dst = strdup(mnl_attr_get_str(tb[KMTLS_A_POLICY_DST]));
	if (!r.src || !r.dst) {
		free(r.src);
		free(r.dst);
		return kmtls_nl_seterr(err, -ENOMEM, "out of memory");
	}
	l->v[l->n++] = r;
	return 0;
}

/* tb: KMTLS_A_POLICY_MAX + 1 entries, owned by the caller. */
void policy_reply_init(struct kmtls_nl_reply *reply, const struct nlattr **tb,
		       struct kmtls_rule_list *l)
{
	*reply = (struct kmtls_nl_reply){
		.policy = rule_policy,
		.maxtype = KMTLS_A_POLICY_MAX,
		.tb = tb,
		.cb = rule_cb,
		.data = l,
	};
}

/* ---- printing ---------------------------------------------------------- */

int policy_print(FILE *f, const struct kmtls_opts *opts, bool stats,
		 const struct kmtls_rule_list *l)
{
	const struct kmtls_rule *r;
	const char *name;
	char ports[16];
	struct out o;
	size_t i;

	out_list_init(&o, f, opts);
	out_begin(&o);
	for (i = 0; i < l->n; i++) {
		r = &l->v[i];
		out_item_begin(&o);
		out_str(&o, "src", NULL, r->src);
		out_str(&o, "dst", NULL, r->dst);
		if (r->port_min == r->port_max)
			snprintf(ports, sizeof(ports), "%u", r->port_min);
		else
			snprintf(ports, sizeof(ports), "%u-%u", r->port_min,
				 r->port_max);
		out_text_field(&o, "port", ports);
		out_json_u64(&o, "port-min", r->port_min);
		out_json_u64(&o, "port-max", r->port_max);
		name = policy_action_name(r->action);
		if (name)
			out_str(&o, "action", NULL, name);
		else
			out_u64(&o, "action", NULL, r->action, NULL);
		if (stats)
			out_u64(&o, "hits", NULL, r->hits, NULL);
		else
			out_json_u64(&o, "hits", r->hits);
		out_item_end(&o);
	}
	return out_end(&o);
}

/* ---- commands ---------------------------------------------------------- */

static int policy_help(struct kmtls_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	help_policy(ctx->out);
	return EXIT_OK;
}

static bool is_help(int argc, char **argv)
{
	/* Not a prefix: no keyword starts with "h", but keep it exact. */
	return argc > 0 && strcmp(argv[0], "help") == 0;
}

static int policy_show(struct kmtls_ctx *ctx, int argc, char **argv)
{
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_reply reply;
	bool stats = false;
	int i, ret;

	if (is_help(argc, argv))
		return policy_help(ctx, argc, argv);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--stats") == 0)
			stats = true;
		else
			return usage_error(ctx, POLICY_HINT,
					   "unexpected argument \"%s\"",
					   argv[i]);
	}
	policy_reply_init(&reply, tb, &l);
	ret = nl_dump(ctx, KMTLS_CMD_POLICY_GET, &reply);
	if (ret == EXIT_OK)
		ret = print_result(ctx, policy_print(ctx->out, &ctx->opts,
						     stats, &l));
	policy_list_free(&l);
	return ret;
}

static int policy_change(struct kmtls_ctx *ctx, int argc, char **argv,
			 uint8_t cmd)
{
	struct kmtls_rule r;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	char why[512];
	int ret;

	if (is_help(argc, argv))
		return policy_help(ctx, argc, argv);
	if (policy_parse(argc, argv, &r, why, sizeof(why)))
		return usage_error(ctx, POLICY_HINT, "%s", why);

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, cmd, 0);
	if (!policy_put(nlh, &r)) {
		kmtls_nl_close(nl);
		fputs("Error: patterns too long together for one request\n",
		      ctx->err);
		return EXIT_FAIL;
	}
	return nl_change(ctx, nl, nlh);
}

static int policy_add(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return policy_change(ctx, argc, argv, KMTLS_CMD_POLICY_ADD);
}

static int policy_del(struct kmtls_ctx *ctx, int argc, char **argv)
{
	return policy_change(ctx, argc, argv, KMTLS_CMD_POLICY_DEL);
}

static int policy_flush(struct kmtls_ctx *ctx, int argc, char **argv)
{
	struct kmtls_nl *nl;
	int ret;

	if (is_help(argc, argv))
		return policy_help(ctx, argc, argv);
	if (argc > 0)
		return usage_error(ctx, POLICY_HINT,
				   "unexpected argument \"%s\"", argv[0]);
	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	return nl_change(ctx, nl,
			 kmtls_nl_msg_start(nl, KMTLS_CMD_POLICY_FLUSH, 0));
}

static const struct kmtls_cmd policy_cmds[] = {
	{ "show", policy_show },
	{ "list", policy_show },
	{ "add", policy_add },
	{ "del", policy_del },
	{ "flush", policy_flush },
	{ "help", policy_help },
};

int cmd_policy(struct kmtls_ctx *ctx, int argc, char **argv)
{
	/* "kmtls policy -s" is "kmtls policy show -s". */
	if (argc > 0 && argv[0][0] == '-')
		return policy_show(ctx, argc, argv);
	return kmtls_dispatch(ctx, policy_cmds, ARRAY_SIZE(policy_cmds),
			      &policy_cmds[0], "command", POLICY_HINT,
			      argc, argv);
}
