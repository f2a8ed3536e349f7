// SPDX-License-Identifier: GPL-2.0
/*
 * The policy object: which identities may reach which (docs/policy.md).
 *
 *	kmtls policy add [src PATTERN] [dst PATTERN] [port P[-Q]] action ACTION
 *		[keep]
 *	kmtls policy del ...			(the same words: exact match)
 *	kmtls policy [ show | list ] [-s]
 *	kmtls policy flush [keep]
 *	kmtls policy restore ...		(restore.c)
 *	kmtls policy check ...			(check.c)
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
 * the set; -s appends " hits N" (which add does not take; restore reads
 * and ignores it).  An action this program does not know is printed as its
 * number ("action 7"; a JSON number).
 *
 * add, del and flush reset the established flows the changed set denies,
 * or with "keep" leave them open; the kernel's reply says how many, and
 * they print it ("reset 2 established flows the new policy denies") only
 * when there were any, so that a change that touches no flow stays silent.
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

enum { KW_SRC, KW_DST, KW_PORT, KW_ACTION, KW_KEEP, KW_HITS };

static const struct {
	const char *name;
	const char *value;	/* what the keyword takes, for messages;
				 * NULL: nothing, a flag */
	unsigned int only;	/* 0, or the POLICY_WORD_* it needs */
} keywords[] = {
	[KW_SRC] = { "src", "PATTERN", 0 },
	[KW_DST] = { "dst", "PATTERN", 0 },
	[KW_PORT] = { "port", "P[-Q]", 0 },
	[KW_ACTION] = { "action", "allow|deny|audit", 0 },
	[KW_KEEP] = { "keep", NULL, POLICY_WORD_KEEP },
	[KW_HITS] = { "hits", "N", POLICY_WORD_HITS },
};

int policy_parse(int argc, char **argv, struct kmtls_rule *r, char *why,
		 size_t whylen)
{
	return policy_parse_words(argc, argv, 0, r, NULL, why, whylen);
}

int policy_parse_words(int argc, char **argv, unsigned int extra,
		       struct kmtls_rule *r, bool *keep, char *why,
		       size_t whylen)
{
	static char any[] = "*";
	bool given[ARRAY_SIZE(keywords)] = { false };
	char reason[160];
	const char *bad;
	uint64_t hits;
	int i, k, step;

	*r = (struct kmtls_rule){
		.src = any, .dst = any,
		.port_min = PORT_MIN, .port_max = PORT_MAX,
	};
	if (keep)
		*keep = false;
	for (i = 0; i < argc; i += step) {
		k = ARGS_FIND(argv[i], keywords);
		if (k == KW_KEEP && !(extra & POLICY_WORD_KEEP) &&
		    (extra & POLICY_WORD_HITS)) {
			snprintf(why, whylen,
				 "\"keep\" is not a word of a rule; give it to restore (\"kmtls policy restore keep FILE\")");
			return -EINVAL;
		}
		if (k < 0 || (keywords[k].only & extra) != keywords[k].only) {
			if (extra & POLICY_WORD_KEEP)
				snprintf(why, whylen,
					 "unknown keyword \"%s\", expected src, dst, port, action or keep",
					 argv[i]);
			else
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
		given[k] = true;
		step = keywords[k].value ? 2 : 1;
		if (k == KW_KEEP) {
			*keep = true;
			continue;
		}
		if (i + 1 >= argc) {
			snprintf(why, whylen, "missing %s after \"%s\"",
				 keywords[k].value, keywords[k].name);
			return -EINVAL;
		}
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
		case KW_HITS:
			if (args_parse_u64(argv[i + 1], &hits)) {
				snprintf(why, whylen,
					 "invalid hits \"%s\": not a counter",
					 argv[i + 1]);
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

/* At most: the four words of a rule and their values, hits N, one more
 * to tell that there are too many. */
#define LINE_WORDS	11

/* ' ', '\t', '\n', '\v', '\f', '\r': one compare and one bit test. */
#define BLANKS	((1ULL << ' ') | (1ULL << '\t') | (1ULL << '\n') | \
		 (1ULL << '\v') | (1ULL << '\f') | (1ULL << '\r'))

static bool is_blank(char c)
{
	unsigned char u = (unsigned char)c;

	return u <= ' ' && (BLANKS >> u) & 1;
}

/*
 * Plain loops rather than strspn()/strcspn(): restore parses 100,000 lines
 * in a QEMU/TCG guest too, where the SIMD string functions are slow.
 */
int policy_line_parse(char *line, struct kmtls_rule *r, char *why,
		      size_t whylen)
{
	char *argv[LINE_WORDS], *p = line;
	int argc = 0;

	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0' || *p == '#')
			break;
		if (argc == LINE_WORDS) {
			snprintf(why, whylen, "too many words for a rule");
			return -EINVAL;
		}
		argv[argc++] = p;
		while (*p && !is_blank(*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (argc == 0)
		return 0;
	if (policy_parse_words(argc, argv, POLICY_WORD_HITS, r, NULL, why,
			       whylen))
		return -EINVAL;
	return 1;
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

/* ---- what a change did ------------------------------------------------- */

static const struct kmtls_nl_policy result_policy[KMTLS_A_POLICY_MAX + 1] = {
	[KMTLS_A_POLICY_RESET] = { KMTLS_NL_U32, false, "reset" },
	[KMTLS_A_POLICY_KEPT] = { KMTLS_NL_U32, false, "kept" },
	[KMTLS_A_POLICY_RULES] = { KMTLS_NL_U32, false, "rules" },
};

static int result_cb(const struct nlmsghdr *nlh,
		     const struct nlattr *const *tb, void *data,
		     struct kmtls_nl_err *err)
{
	struct policy_result *res = data;

	(void)nlh;
	(void)err;
	if (tb[KMTLS_A_POLICY_RULES]) {
		res->has_rules = true;
		res->rules = mnl_attr_get_u32(tb[KMTLS_A_POLICY_RULES]);
	}
	if (tb[KMTLS_A_POLICY_RESET]) {
		res->has_reset = true;
		res->reset = mnl_attr_get_u32(tb[KMTLS_A_POLICY_RESET]);
	}
	if (tb[KMTLS_A_POLICY_KEPT]) {
		res->has_kept = true;
		res->kept = mnl_attr_get_u32(tb[KMTLS_A_POLICY_KEPT]);
	}
	return 0;
}

void policy_result_reply_init(struct kmtls_nl_reply *reply,
			      const struct nlattr **tb,
			      struct policy_result *res)
{
	*reply = (struct kmtls_nl_reply){
		.policy = result_policy,
		.maxtype = KMTLS_A_POLICY_MAX,
		.tb = tb,
		.cb = result_cb,
		.data = res,
	};
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int policy_result_print(FILE *f, const struct kmtls_opts *opts, bool restore,
			const struct policy_result *res)
{
	char s[128];
	struct out o;

	out_init(&o, f, opts, "");
	out_begin(&o);
	if (restore) {
		snprintf(s, sizeof(s), "restored %u %s", res->rules,
			 plural(res->rules, "rule", "rules"));
		out_text(&o, s);
		out_json_u64(&o, "rules", res->rules);
	}
	if (res->reset) {
		snprintf(s, sizeof(s),
			 "reset %u established %s the new policy denies",
			 res->reset, plural(res->reset, "flow", "flows"));
		out_text(&o, s);
	}
	if (res->has_reset)
		out_json_u64(&o, "reset", res->reset);
	if (res->kept) {
		snprintf(s, sizeof(s),
			 "left %u established %s the new policy denies open (keep)",
			 res->kept, plural(res->kept, "flow", "flows"));
		out_text(&o, s);
	}
	if (res->has_kept)
		out_json_u64(&o, "kept", res->kept);
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

/* Send a change whose reply says what it did, and print that. */
static int change_request(struct kmtls_ctx *ctx, struct kmtls_nl *nl,
			  struct nlmsghdr *nlh)
{
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct policy_result res = { 0 };
	struct kmtls_nl_reply reply;
	int ret;

	policy_result_reply_init(&reply, tb, &res);
	ret = nl_change_reply(ctx, nl, nlh, &reply);
	if (ret)
		return ret;
	return print_result(ctx, policy_result_print(ctx->out, &ctx->opts,
						     false, &res));
}

static bool put_keep(struct nlmsghdr *nlh, bool keep)
{
	return !keep || mnl_attr_put_check(nlh, KMTLS_NL_TX_SIZE,
					   KMTLS_A_POLICY_KEEP, 0, NULL);
}

static int policy_change(struct kmtls_ctx *ctx, int argc, char **argv,
			 uint8_t cmd)
{
	struct kmtls_rule r;
	struct kmtls_nl *nl;
	struct nlmsghdr *nlh;
	char why[512];
	bool keep;
	int ret;

	if (is_help(argc, argv))
		return policy_help(ctx, argc, argv);
	if (policy_parse_words(argc, argv, POLICY_WORD_KEEP, &r, &keep, why,
			       sizeof(why)))
		return usage_error(ctx, POLICY_HINT, "%s", why);

	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, cmd, 0);
	if (!policy_put(nlh, &r) || !put_keep(nlh, keep)) {
		kmtls_nl_close(nl);
		fputs("Error: patterns too long together for one request\n",
		      ctx->err);
		return EXIT_FAIL;
	}
	return change_request(ctx, nl, nlh);
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
	struct nlmsghdr *nlh;
	bool keep = false;
	int ret;

	if (is_help(argc, argv))
		return policy_help(ctx, argc, argv);
	if (argc > 0 && args_is_prefix(argv[0], "keep"))
		keep = true;
	if (argc > (keep ? 1 : 0))
		return usage_error(ctx, POLICY_HINT,
				   "unexpected argument \"%s\"",
				   argv[keep ? 1 : 0]);
	ret = nl_open(ctx, &nl);
	if (ret)
		return ret;
	nlh = kmtls_nl_msg_start(nl, KMTLS_CMD_POLICY_FLUSH, 0);
	put_keep(nlh, keep);
	return change_request(ctx, nl, nlh);
}

static const struct kmtls_cmd policy_cmds[] = {
	{ "show", policy_show },
	{ "list", policy_show },
	{ "add", policy_add },
	{ "del", policy_del },
	{ "flush", policy_flush },
	{ "restore", policy_restore },
	{ "check", policy_check },
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
