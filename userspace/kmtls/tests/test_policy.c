// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the policy object.  The words of "policy add" and "policy
 * del" (valid and invalid, patterns, ports, actions, duplicates), the
 * request they send, "policy show" from crafted dump replies (text, -s,
 * JSON, pretty JSON), the round trip show -> add (every printed line
 * parses back to the same rule), malformed replies (-EBADMSG), and the
 * command line as a whole (exit codes, messages).  Reply buffers are handed
 * over in heap copies of exactly their length, so the sanitizer build
 * catches any read past the end and any list not freed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "tap.h"

#define FAMILY	0x1234
#define SEQ	4242
#define PORTID	777

#define ALLOW	KMTLS_ACTION_ALLOW
#define DENY	KMTLS_ACTION_DENY
#define AUDIT	KMTLS_ACTION_AUDIT

/* Split line at spaces into argv (at most 31 words), in buf. */
static int split(const char *line, char *buf, size_t len, char **argv)
{
	char *tok, *save;
	int argc = 0;

	snprintf(buf, len, "%s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

static int parse_line(const char *line, struct kmtls_rule *r, char *why,
		      size_t whylen)
{
	static char buf[8192];
	char *argv[32];
	int argc = split(line, buf, sizeof(buf), argv);

	return policy_parse(argc, argv, r, why, whylen);
}

/* ---- the words of add and del ------------------------------------------ */

static void good(const char *line, const char *src, const char *dst,
		 unsigned int pmin, unsigned int pmax, uint8_t action)
{
	struct kmtls_rule r;
	char why[512] = "";
	int ret;

	ret = parse_line(line, &r, why, sizeof(why));
	if (!ok(ret == 0 && strcmp(r.src, src) == 0 &&
		strcmp(r.dst, dst) == 0 && r.port_min == pmin &&
		r.port_max == pmax && r.action == action,
		"parse \"%s\"", line)) {
		printf("#   ret %d (%s)\n", ret, why);
		if (ret == 0)
			printf("#   src %s dst %s ports %u-%u action %u\n",
			       r.src, r.dst, r.port_min, r.port_max,
			       r.action);
	}
}

static void bad(const char *line, const char *text)
{
	struct kmtls_rule r;
	char why[512] = "";
	int ret;

	ret = parse_line(line, &r, why, sizeof(why));
	if (!ok(ret == -EINVAL && strstr(why, text), "refuse \"%s\"", line)) {
		printf("#   ret %d\n", ret);
		diag_str("why ", why);
		diag_str("want", text);
	}
}

static void test_parse_good(void)
{
	good("action allow", "*", "*", 1, 65535, ALLOW);
	good("action deny", "*", "*", 1, 65535, DENY);
	good("action audit", "*", "*", 1, 65535, AUDIT);
	good("src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow",
	     "spiffe://prod.example/triage", "spiffe://prod.example/postgres",
	     5432, 5432, ALLOW);
	/* Any order. */
	good("action deny port 80-90 dst spiffe://a/* src *",
	     "*", "spiffe://a/*", 80, 90, DENY);
	good("port 443 action audit src spiffe://a.b-c_d/ns/x/*",
	     "spiffe://a.b-c_d/ns/x/*", "*", 443, 443, AUDIT);
	good("dst spiffe://td/a/b/c action allow",
	     "*", "spiffe://td/a/b/c", 1, 65535, ALLOW);
	/* Ports. */
	good("port 1 action allow", "*", "*", 1, 1, ALLOW);
	good("port 65535 action allow", "*", "*", 65535, 65535, ALLOW);
	good("port 1-65535 action allow", "*", "*", 1, 65535, ALLOW);
	good("port 80-80 action allow", "*", "*", 80, 80, ALLOW);
	good("port 080 action allow", "*", "*", 80, 80, ALLOW);
	/* Prefixes of keywords and actions. */
	good("s spiffe://a/b d spiffe://c/d p 22 a de",
	     "spiffe://a/b", "spiffe://c/d", 22, 22, DENY);
	good("act al", "*", "*", 1, 65535, ALLOW);
	good("action au", "*", "*", 1, 65535, AUDIT);
	/* Explicit "*". */
	good("src * dst * action allow", "*", "*", 1, 65535, ALLOW);
	/* Path segments with upper case and punctuation. */
	good("src spiffe://a/B.c-D_e/* action allow",
	     "spiffe://a/B.c-D_e/*", "*", 1, 65535, ALLOW);
}

static void test_parse_bad(void)
{
	/* The action. */
	bad("", "missing \"action allow|deny|audit\"");
	bad("src spiffe://a/b", "missing \"action allow|deny|audit\"");
	bad("src spiffe://a/b dst * port 22",
	    "missing \"action allow|deny|audit\"");
	bad("action", "missing allow|deny|audit after \"action\"");
	bad("action bogus", "invalid action \"bogus\": expected allow, deny or audit");
	bad("action a", "invalid action \"a\": ambiguous, could be allow, audit");
	bad("action ALLOW", "invalid action \"ALLOW\"");
	bad("action allowed", "invalid action \"allowed\"");
	bad("action 1", "invalid action \"1\"");

	/* Keywords. */
	bad("bogus 1 action allow", "unknown keyword \"bogus\", expected src, dst, port or action");
	bad("action allow extra", "unknown keyword \"extra\"");
	bad("action allow src", "missing PATTERN after \"src\"");
	bad("action allow dst", "missing PATTERN after \"dst\"");
	bad("action allow port", "missing P[-Q] after \"port\"");
	bad("srcx * action allow", "unknown keyword \"srcx\"");
	bad("from * action allow", "unknown keyword \"from\"");

	/* Each at most once. */
	bad("src * src * action allow", "src given twice");
	bad("dst * action allow d spiffe://a/b", "dst given twice");
	bad("port 1 port 2 action allow", "port given twice");
	bad("action allow action allow", "action given twice");
	bad("action allow a deny", "action given twice");

	/* Patterns. */
	bad("src spiffe://a action allow",
	    "invalid src pattern \"spiffe://a\": a path is needed");
	bad("dst spiffe://A/b action allow",
	    "invalid dst pattern \"spiffe://A/b\": the trust domain must be lower case");
	bad("src spiffe://A/* action allow",
	    "invalid src pattern \"spiffe://A/*\": the trust domain must be lower case");
	bad("src spiffe://a:8080/* action allow", "a port is not allowed");
	bad("src spiffe://u@a/* action allow", "userinfo is not allowed");
	bad("src spiffe:///* action allow", "the trust domain is empty");
	bad("src spiffe:///x action allow", "the trust domain is empty");
	bad("src spiffe://* action allow",
	    "the trust domain cannot be a wildcard; \"*\" alone matches any identity");
	bad("src spiffe://*/x action allow", "the trust domain cannot be a wildcard");
	bad("src spiffe://a/b* action allow",
	    "\"*\" only stands alone or as the whole last path segment");
	bad("src spiffe://a/*/b action allow", "\"*\" only stands alone");
	bad("src spiffe://a/*/* action allow", "\"*\" only stands alone");
	bad("src spiffe://a/** action allow", "\"*\" only stands alone");
	bad("src spiffe://a/b/*x action allow", "\"*\" only stands alone");
	bad("src ** action allow", "a pattern is \"*\", spiffe://TRUST-DOMAIN/*");
	bad("src *x action allow", "a pattern is \"*\"");
	bad("src web action allow", "invalid src pattern \"web\": a pattern is");
	bad("src /* action allow", "a pattern is");
	bad("src spiffe:/* action allow", "a pattern is");
	bad("src spiffe://a//* action allow", "the path has an empty segment");
	bad("src spiffe://a/b//* action allow", "the path has an empty segment");
	bad("src spiffe://a/b/ action allow", "the path has an empty segment");
	bad("src spiffe://a/../* action allow", "\".\" and \"..\" path segments");
	bad("src spiffe://a/./b action allow", "\".\" and \"..\" path segments");
	bad("src spiffe://a/b?x action allow", "a query or fragment");
	bad("src spiffe://a/b#x/* action allow", "a query or fragment");
	bad("dst spiffe://a/b%20c action allow", "the path may only hold");

	/* Ports. */
	bad("port 0 action allow", "port 0 is not allowed (ports are 1..65535)");
	bad("port 0-80 action allow", "port 0 is not allowed");
	bad("port 65536 action allow", "port 65536 out of range 1..65535");
	bad("port 99999999999 action allow", "out of range 1..65535");
	bad("port 90-80 action allow", "port range 90-80 is inverted");
	bad("port http action allow", "invalid port \"http\"");
	bad("port 80- action allow", "invalid port \"\"");
	bad("port -80 action allow", "invalid port \"\"");
	bad("port 80-90-100 action allow", "invalid port \"90-100\"");
	bad("port +80 action allow", "invalid port \"+80\"");
	bad("port 0x50 action allow", "invalid port \"0x50\"");
	bad("port 80,443 action allow", "invalid port \"80,443\"");
}

static void test_pattern_length(void)
{
	char *s = malloc(KMTLS_SPIFFE_ID_MAX_LEN + 16);
	const char *why = "";
	size_t len;
	int ret;

	/* spiffe://a/ then "b" up to exactly the limit with a "/" "*". */
	strcpy(s, "spiffe://a/");
	len = strlen(s);
	memset(s + len, 'b', KMTLS_SPIFFE_ID_MAX_LEN - len - 2);
	strcpy(s + KMTLS_SPIFFE_ID_MAX_LEN - 2, "/*");
	ret = policy_pattern_check(s, &why);
	if (!ok(ret == 0 && strlen(s) == KMTLS_SPIFFE_ID_MAX_LEN,
		"a pattern of %u bytes (the limit) accepted",
		KMTLS_SPIFFE_ID_MAX_LEN))
		diag_str("why", why);
	strcpy(s + KMTLS_SPIFFE_ID_MAX_LEN - 2, "b/*");
	ok(policy_pattern_check(s, &why) == -EINVAL &&
	   strstr(why, "longer than 2048 bytes"),
	   "one byte more refused");
	strcpy(s + KMTLS_SPIFFE_ID_MAX_LEN - 2, "bb");
	ok(policy_pattern_check(s, &why) == 0,
	   "an exact ID of 2048 bytes accepted");
	strcpy(s + KMTLS_SPIFFE_ID_MAX_LEN - 2, "bbb");
	ok(policy_pattern_check(s, &why) == -EINVAL &&
	   strstr(why, "longer than 2048 bytes"),
	   "an exact ID over the limit refused");

	/* A trust domain of 255 characters, alone; 256 refused. */
	strcpy(s, "spiffe://");
	memset(s + 9, 'd', 255);
	strcpy(s + 9 + 255, "/*");
	ok(policy_pattern_check(s, &why) == 0,
	   "spiffe://TD/* with a 255-character trust domain accepted");
	strcpy(s + 9 + 255, "d/*");
	ok(policy_pattern_check(s, &why) == -EINVAL &&
	   strstr(why, "the trust domain is longer than 255"),
	   "a 256-character trust domain refused");
	free(s);

	ok(policy_pattern_check("*", &why) == 0 &&
	   policy_pattern_check("spiffe://a/*", &why) == 0 &&
	   policy_pattern_check("spiffe://a/b/*", &why) == 0 &&
	   policy_pattern_check("spiffe://a/b", &why) == 0,
	   "the four kinds of pattern");
}

static void test_actions(void)
{
	char why[128];
	uint8_t a = 0;

	ok(strcmp(policy_action_name(ALLOW), "allow") == 0 &&
	   strcmp(policy_action_name(DENY), "deny") == 0 &&
	   strcmp(policy_action_name(AUDIT), "audit") == 0 &&
	   policy_action_name(0) == NULL && policy_action_name(4) == NULL &&
	   policy_action_name(255) == NULL,
	   "action names: 1..3 named, others NULL");
	ok(policy_action_parse("deny", &a, why, sizeof(why)) == 0 &&
	   a == DENY && policy_action_parse("d", &a, why, sizeof(why)) == 0 &&
	   a == DENY && policy_action_parse("aud", &a, why, sizeof(why)) == 0 &&
	   a == AUDIT, "actions by name and unique prefix");
	a = 0;
	ok(policy_action_parse("", &a, why, sizeof(why)) == -EINVAL &&
	   policy_action_parse("x", &a, why, sizeof(why)) == -EINVAL &&
	   a == 0, "empty and unknown actions refused, nothing set");
	/* A short buffer for the reason: truncated, never overrun. */
	ok(policy_action_parse("a", &a, why, 8) == -EINVAL &&
	   strlen(why) == 7, "a reason truncated to a short buffer");
}

/* ---- the request ------------------------------------------------------- */

static const struct kmtls_nl_policy req_policy[KMTLS_A_POLICY_MAX + 1] = {
	[KMTLS_A_POLICY_SRC] = { KMTLS_NL_STRING, true, "src" },
	[KMTLS_A_POLICY_DST] = { KMTLS_NL_STRING, true, "dst" },
	[KMTLS_A_POLICY_PORT_MIN] = { KMTLS_NL_U16, true, "port-min" },
	[KMTLS_A_POLICY_PORT_MAX] = { KMTLS_NL_U16, true, "port-max" },
	[KMTLS_A_POLICY_ACTION] = { KMTLS_NL_U8, true, "action" },
};

static void test_request(void)
{
	uint8_t buf[KMTLS_NL_TX_SIZE] __attribute__((aligned(8)));
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct kmtls_nl_err err;
	struct kmtls_rule r;
	struct nlmsghdr *nlh;
	char why[256];
	bool put;
	int ret;

	parse_line("action deny", &r, why, sizeof(why));
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	put = policy_put(nlh, &r);
	ret = kmtls_nl_parse_genl(nlh, req_policy, KMTLS_A_POLICY_MAX, tb,
				  &err);
	ok(put && ret == 0, "request: all five attributes, defaults included");
	ok(ret == 0 && strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_SRC]), "*") == 0 &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_DST]), "*") == 0 &&
	   mnl_attr_get_payload_len(tb[KMTLS_A_POLICY_SRC]) == 2 &&
	   mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MIN]) == 1 &&
	   mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MAX]) == 65535 &&
	   mnl_attr_get_u8(tb[KMTLS_A_POLICY_ACTION]) == DENY,
	   "request: src and dst \"*\" (NUL-terminated), ports 1-65535, deny = 2");

	parse_line("src spiffe://a/b dst spiffe://c/* port 5432-5433 action audit",
		   &r, why, sizeof(why));
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	put = policy_put(nlh, &r);
	ret = kmtls_nl_parse_genl(nlh, req_policy, KMTLS_A_POLICY_MAX, tb,
				  &err);
	ok(put && ret == 0 &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_SRC]), "spiffe://a/b") == 0 &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_DST]), "spiffe://c/*") == 0 &&
	   mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MIN]) == 5432 &&
	   mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT_MAX]) == 5433 &&
	   mnl_attr_get_u8(tb[KMTLS_A_POLICY_ACTION]) == AUDIT,
	   "request: patterns, port range, audit = 3");

	/* Two patterns of the largest size fit in one request. */
	{
		char *big = malloc(KMTLS_SPIFFE_ID_MAX_LEN + 1);

		strcpy(big, "spiffe://a/");
		memset(big + 11, 'x', KMTLS_SPIFFE_ID_MAX_LEN - 11);
		big[KMTLS_SPIFFE_ID_MAX_LEN] = '\0';
		r.src = r.dst = big;
		nlh = mnl_nlmsg_put_header(buf);
		mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
		ok(policy_put(nlh, &r), "two %u-byte patterns fit in a request",
		   KMTLS_SPIFFE_ID_MAX_LEN);
		free(big);
	}
}

/* ---- dump replies ------------------------------------------------------ */

struct msgbuf {
	uint8_t b[16384] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *msg_begin(struct msgbuf *m, uint16_t type,
				  uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static void msg_end(struct msgbuf *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_done(struct msgbuf *m, int error)
{
	struct nlmsghdr *nlh = msg_begin(m, NLMSG_DONE, NLM_F_MULTI);

	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = error;
	msg_end(m, nlh);
}

static struct msgbuf req_buf;

static const struct nlmsghdr *request(void)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(&req_buf, 0, sizeof(req_buf));
	nlh = msg_begin(&req_buf, FAMILY,
			NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	nlh->nlmsg_pid = 0;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = KMTLS_CMD_POLICY_GET;
	g->version = KMTLS_FAMILY_VERSION;
	msg_end(&req_buf, nlh);
	return nlh;
}

/* A rule as the test describes it. */
struct raw_rule {
	const char *src, *dst;
	uint16_t pmin, pmax;
	uint8_t action;
	uint64_t hits;
	uint16_t skip;		/* an attribute to leave out */
};

/* The attributes in the kernel's order, the u64 after a pad attribute
 * (nla_put_u64_64bit). */
static struct nlmsghdr *put_rule(struct msgbuf *m, const struct raw_rule *r)
{
	struct nlmsghdr *nlh = msg_begin(m, FAMILY, NLM_F_MULTI);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = KMTLS_CMD_POLICY_GET;
	g->version = KMTLS_FAMILY_VERSION;
	if (r->skip != KMTLS_A_POLICY_SRC)
		mnl_attr_put_strz(nlh, KMTLS_A_POLICY_SRC, r->src);
	if (r->skip != KMTLS_A_POLICY_DST)
		mnl_attr_put_strz(nlh, KMTLS_A_POLICY_DST, r->dst);
	if (r->skip != KMTLS_A_POLICY_PORT_MIN)
		mnl_attr_put_u16(nlh, KMTLS_A_POLICY_PORT_MIN, r->pmin);
	if (r->skip != KMTLS_A_POLICY_PORT_MAX)
		mnl_attr_put_u16(nlh, KMTLS_A_POLICY_PORT_MAX, r->pmax);
	if (r->skip != KMTLS_A_POLICY_ACTION)
		mnl_attr_put_u8(nlh, KMTLS_A_POLICY_ACTION, r->action);
	mnl_attr_put(nlh, KMTLS_A_POLICY_PAD, 0, NULL);
	if (r->skip != KMTLS_A_POLICY_HITS)
		mnl_attr_put_u64(nlh, KMTLS_A_POLICY_HITS, r->hits);
	msg_end(m, nlh);
	return nlh;
}

static int process(const struct msgbuf *m, size_t from, size_t to,
		   struct kmtls_rule_list *l, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct kmtls_nl_reply reply;
	size_t len = to - from;
	void *copy = malloc(len ? len : 1);
	int ret;

	policy_reply_init(&reply, tb, l);
	memcpy(copy, m->b + from, len);
	ret = kmtls_nl_process(copy, len, request(), PORTID, &reply, err);
	free(copy);
	return ret;
}

static int decode(const struct raw_rule *r, size_t n,
		  struct kmtls_rule_list *l, struct kmtls_nl_err *err)
{
	struct msgbuf *m = calloc(1, sizeof(*m));
	size_t i;
	int ret;

	for (i = 0; i < n; i++)
		put_rule(m, &r[i]);
	put_done(m, 0);
	ret = process(m, 0, m->len, l, err);
	free(m);
	return ret;
}

static const struct kmtls_opts text = { 0 };
static const struct kmtls_opts json = { .json = true };
static const struct kmtls_opts pretty = { .pretty = true };

static char *print(const struct kmtls_rule_list *l, struct kmtls_opts opts,
		   bool stats, int *ret)
{
	struct capture c;

	*ret = policy_print(capture_start(&c), &opts, stats, l);
	capture_end(&c);
	return c.buf;
}

static const struct raw_rule triage = {
	.src = "spiffe://prod.example/triage",
	.dst = "spiffe://prod.example/postgres",
	.pmin = 5432, .pmax = 5432, .action = ALLOW, .hits = 12,
};

static const struct raw_rule any_deny = {
	.src = "*", .dst = "spiffe://a/*",
	.pmin = 1, .pmax = 65535, .action = DENY, .hits = 0,
};

static const struct raw_rule audit_range = {
	.src = "spiffe://b.test/ns/*", .dst = "*",
	.pmin = 8000, .pmax = 8100, .action = AUDIT,
	.hits = 18446744073709551615ULL,
};

static const struct raw_rule unknown_action = {
	.src = "*", .dst = "*", .pmin = 1, .pmax = 2, .action = 7, .hits = 3,
};

static void test_show(void)
{
	const struct raw_rule all[] = { triage, any_deny, audit_range };
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf *m = calloc(1, sizeof(*m));
	size_t i, cut = 0;
	char *s;
	int ret, pret;

	for (i = 0; i < ARRAY_SIZE(all); i++) {
		put_rule(m, &all[i]);
		if (i == 0)
			cut = m->len;
	}
	put_done(m, 0);
	ret = process(m, 0, cut, &l, &err);
	ok(ret == 1 && l.n == 1, "first buffer of the dump: 1 rule, more to come");
	ret = process(m, cut, m->len, &l, &err);
	ok(ret == 0 && l.n == 3, "second buffer: two more, then DONE");
	free(m);
	ok(l.n == 3 && strcmp(l.v[0].src, triage.src) == 0 &&
	   strcmp(l.v[0].dst, triage.dst) == 0 && l.v[0].port_min == 5432 &&
	   l.v[0].port_max == 5432 && l.v[0].action == ALLOW &&
	   l.v[0].hits == 12 && l.v[2].hits == UINT64_MAX &&
	   l.v[2].port_min == 8000 && l.v[2].port_max == 8100,
	   "rules decoded");

	s = print(&l, text, false, &pret);
	is_str(s,
	       "src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow\n"
	       "src * dst spiffe://a/* port 1-65535 action deny\n"
	       "src spiffe://b.test/ns/* dst * port 8000-8100 action audit\n",
	       "text: every field written out, one port as \"port N\"");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print(&l, text, true, &pret);
	is_str(s,
	       "src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow hits 12\n"
	       "src * dst spiffe://a/* port 1-65535 action deny hits 0\n"
	       "src spiffe://b.test/ns/* dst * port 8000-8100 action audit hits 18446744073709551615\n",
	       "text with -s: \" hits N\" appended");
	free(s);

	s = print(&l, json, false, &pret);
	is_str(s,
	       "[{\"src\":\"spiffe://prod.example/triage\","
	       "\"dst\":\"spiffe://prod.example/postgres\","
	       "\"port-min\":5432,\"port-max\":5432,\"action\":\"allow\",\"hits\":12},"
	       "{\"src\":\"*\",\"dst\":\"spiffe://a/*\","
	       "\"port-min\":1,\"port-max\":65535,\"action\":\"deny\",\"hits\":0},"
	       "{\"src\":\"spiffe://b.test/ns/*\",\"dst\":\"*\","
	       "\"port-min\":8000,\"port-max\":8100,\"action\":\"audit\","
	       "\"hits\":18446744073709551615}]\n",
	       "JSON: src, dst, port-min, port-max, action, hits");
	is_int(pret, 0, "  ... and reports success");
	free(s);

	s = print(&l, json, true, &pret);
	ok(s && strstr(s, "\"hits\":12}") && !strstr(s, "\"hits\":12,\"hits\""),
	   "JSON with -s: the same, hits once");
	free(s);

	s = print(&(struct kmtls_rule_list){ .v = l.v, .n = 1 }, pretty, false,
		  &pret);
	is_str(s,
	       "[\n"
	       "  {\n"
	       "    \"src\": \"spiffe://prod.example/triage\",\n"
	       "    \"dst\": \"spiffe://prod.example/postgres\",\n"
	       "    \"port-min\": 5432,\n"
	       "    \"port-max\": 5432,\n"
	       "    \"action\": \"allow\",\n"
	       "    \"hits\": 12\n"
	       "  }\n"
	       "]\n",
	       "a rule as pretty JSON");
	free(s);
	policy_list_free(&l);
	ok(l.n == 0 && l.v == NULL, "list freed and reset");

	/* None. */
	ret = decode(NULL, 0, &l, &err);
	s = print(&l, text, true, &pret);
	ok(ret == 0 && s[0] == '\0', "no rules: no text");
	free(s);
	s = print(&l, json, false, &pret);
	is_str(s, "[]\n", "no rules: JSON []");
	free(s);
}

static void test_unknown_action(void)
{
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int ret, pret;

	ret = decode(&unknown_action, 1, &l, &err);
	ok(ret == 0 && l.n == 1, "an unknown action accepted");
	s = print(&l, text, true, &pret);
	is_str(s, "src * dst * port 1-2 action 7 hits 3\n",
	       "text: an unknown action as its number");
	free(s);
	s = print(&l, json, false, &pret);
	is_str(s,
	       "[{\"src\":\"*\",\"dst\":\"*\",\"port-min\":1,\"port-max\":2,"
	       "\"action\":7,\"hits\":3}]\n",
	       "JSON: an unknown action as a number");
	free(s);
	policy_list_free(&l);
}

static void test_escape(void)
{
	struct raw_rule r = triage;
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	char *s;
	int pret;

	r.src = "spiffe://a/x\n\x1b[2J";
	r.dst = "spiffe://a/\"q\"";
	decode(&r, 1, &l, &err);
	s = print(&l, text, false, &pret);
	is_str(s, "src spiffe://a/x\\012\\033[2J dst spiffe://a/\"q\" port 5432 action allow\n",
	       "text: control characters in a pattern escaped as \\ooo");
	free(s);
	s = print(&l, json, false, &pret);
	ok(s && strstr(s, "\"src\":\"spiffe://a/x\\n\\u001b[2J\","
			  "\"dst\":\"spiffe://a/\\\"q\\\"\""),
	   "JSON: the same escaped as JSON");
	free(s);
	policy_list_free(&l);
}

/* ---- the round trip show -> add ---------------------------------------- */

/* Every line of show's text (with and without -s) parses back. */
static void test_round_trip(void)
{
	static const char *const lines[] = {
		"action allow",
		"action deny",
		"action audit",
		"src spiffe://prod.example/triage dst spiffe://prod.example/postgres port 5432 action allow",
		"dst spiffe://a/* action deny",
		"src spiffe://b.test/ns/* port 8000-8100 action audit",
		"port 1 action deny",
		"port 65535 action allow",
		"port 1-65534 action allow",
		"port 2-65535 action allow",
		"port 80-81 src spiffe://x.y/a/b/c dst spiffe://x.y/* action audit",
		"src spiffe://a/b.c-D_e dst spiffe://a/B/* port 443 action deny",
	};
	struct kmtls_rule_list l = { 0 };
	struct kmtls_rule r, r2;
	char why[512], *s, *line, *save, *argv[32], buf[8192];
	bool all = true, all_s = true;
	size_t i, n;
	int argc, pret;

	l.v = calloc(ARRAY_SIZE(lines), sizeof(*l.v));
	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		if (parse_line(lines[i], &r, why, sizeof(why))) {
			ok(false, "round trip: \"%s\" parses (%s)", lines[i],
			   why);
			continue;
		}
		r.src = strdup(r.src);
		r.dst = strdup(r.dst);
		r.hits = i * 1000;
		l.v[l.n++] = r;
	}

	/* Plain show: each line is exactly what add takes. */
	s = print(&l, text, false, &pret);
	n = 0;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		argc = split(line, buf, sizeof(buf), argv);
		if (n >= l.n || policy_parse(argc, argv, &r2, why, sizeof(why)) ||
		    strcmp(r2.src, l.v[n].src) || strcmp(r2.dst, l.v[n].dst) ||
		    r2.port_min != l.v[n].port_min ||
		    r2.port_max != l.v[n].port_max ||
		    r2.action != l.v[n].action) {
			all = false;
			diag_str("line", line);
			diag_str("why ", why);
		}
	}
	ok(all && n == l.n,
	   "round trip: %zu rules printed, each line parsed back by add's parser to the same rule",
	   n);
	free(s);

	/* show -s: without its " hits N", each line is the same. */
	s = print(&l, text, true, &pret);
	n = 0;
	for (line = strtok_r(s, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		char *h = strstr(line, " hits ");

		argc = split(line, buf, sizeof(buf), argv);
		/* Add's parser refuses "hits": show -s is not add's input. */
		if (policy_parse(argc, argv, &r2, why, sizeof(why)) != -EINVAL ||
		    !strstr(why, "unknown keyword \"hits\""))
			all_s = false;
		if (!h || strtoull(h + 6, NULL, 10) != n * 1000)
			all_s = false;
		if (h)
			*h = '\0';
		argc = split(line, buf, sizeof(buf), argv);
		if (n >= l.n || policy_parse(argc, argv, &r2, why, sizeof(why)) ||
		    strcmp(r2.src, l.v[n].src) || r2.action != l.v[n].action)
			all_s = false;
	}
	ok(all_s && n == l.n,
	   "round trip with -s: \" hits N\" last, the rest parses back");
	free(s);
	policy_list_free(&l);

	/* Parse, print, parse: a canonical form (explicit defaults). */
	{
		char *a[] = { "a", "au", "p", "22" };
		struct kmtls_rule one;

		policy_parse(4, a, &one, why, sizeof(why));
		s = print(&(struct kmtls_rule_list){ .v = &one, .n = 1 },
			  text, false, &pret);
		is_str(s, "src * dst * port 22 action audit\n",
		       "abbreviated words print in full, defaults written out");
		free(s);
	}
}

/* ---- malformed replies ------------------------------------------------- */

static void bad_reply(const struct raw_rule *r, const char *want,
		      const char *name)
{
	const struct raw_rule two[] = { triage, *r };
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	int ret;

	ret = decode(two, 2, &l, &err);
	if (!ok(ret == -EBADMSG && strstr(err.msg, want), "%s", name)) {
		printf("#   ret %d\n", ret);
		diag_str("msg ", err.msg);
		diag_str("want", want);
	}
	policy_list_free(&l);
}

static void test_bad_replies(void)
{
	static const struct { uint16_t type; const char *name; } required[] = {
		{ KMTLS_A_POLICY_SRC, "src" },
		{ KMTLS_A_POLICY_DST, "dst" },
		{ KMTLS_A_POLICY_PORT_MIN, "port-min" },
		{ KMTLS_A_POLICY_PORT_MAX, "port-max" },
		{ KMTLS_A_POLICY_ACTION, "action" },
		{ KMTLS_A_POLICY_HITS, "hits" },
	};
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct nlmsghdr *nlh;
	struct raw_rule r;
	char want[64], name[64];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		r = triage;
		r.skip = required[i].type;
		snprintf(want, sizeof(want), "%s missing", required[i].name);
		snprintf(name, sizeof(name), "rule without %s refused",
			 required[i].name);
		bad_reply(&r, want, name);
	}

	r = triage;
	r.pmin = 0;
	bad_reply(&r, "malformed reply: rule with port range 0-5432",
		  "port-min 0 refused");
	r = triage;
	r.pmin = 90;
	r.pmax = 80;
	bad_reply(&r, "malformed reply: rule with port range 90-80",
		  "inverted port range refused");
	r = triage;
	r.pmin = 0;
	r.pmax = 0;
	bad_reply(&r, "port range 0-0", "port range 0-0 refused");

	/* Attributes of the wrong size or form. */
	{
		static const struct { uint16_t type; int len; const char *want; } sizes[] = {
			{ KMTLS_A_POLICY_PORT_MIN, 4, "port-min has a bad size" },
			{ KMTLS_A_POLICY_PORT_MAX, 1, "port-max has a bad size" },
			{ KMTLS_A_POLICY_ACTION, 4, "action has a bad size" },
			{ KMTLS_A_POLICY_HITS, 4, "hits has a bad size" },
			{ KMTLS_A_POLICY_SRC, 3, "src has a bad size" },
			{ KMTLS_A_POLICY_DST, 0, "dst has a bad size" },
		};

		for (i = 0; i < ARRAY_SIZE(sizes); i++) {
			r = triage;
			r.skip = sizes[i].type;
			memset(m, 0, sizeof(*m));
			nlh = put_rule(m, &r);
			m->len = 0;
			/* strings: "abc" without its NUL */
			mnl_attr_put(nlh, sizes[i].type, sizes[i].len,
				     "abcdefgh");
			msg_end(m, nlh);
			put_done(m, 0);
			ret = process(m, 0, m->len, &l, &err);
			if (!ok(ret == -EBADMSG && strstr(err.msg, sizes[i].want),
				"%s refused", sizes[i].want)) {
				printf("#   ret %d\n", ret);
				diag_str("msg ", err.msg);
			}
			policy_list_free(&l);
		}
	}

	/* The same attribute twice. */
	memset(m, 0, sizeof(*m));
	nlh = put_rule(m, &triage);
	m->len = 0;
	mnl_attr_put_u8(nlh, KMTLS_A_POLICY_ACTION, DENY);
	msg_end(m, nlh);
	put_done(m, 0);
	ret = process(m, 0, m->len, &l, &err);
	ok(ret == -EBADMSG && strstr(err.msg, "action appears twice"),
	   "a duplicate attribute refused");
	policy_list_free(&l);

	/* A message cut short inside an attribute. */
	memset(m, 0, sizeof(*m));
	nlh = put_rule(m, &triage);
	nlh->nlmsg_len -= 6;
	m->len = NLMSG_ALIGN(nlh->nlmsg_len);
	put_done(m, 0);
	ret = process(m, 0, m->len, &l, &err);
	ok(ret == -EBADMSG && l.n == 0, "a truncated message refused");
	policy_list_free(&l);

	/* Attributes a newer kernel may add are ignored. */
	memset(m, 0, sizeof(*m));
	nlh = put_rule(m, &any_deny);
	m->len = 0;
	mnl_attr_put_u32(nlh, KMTLS_A_POLICY_MAX + 1, 7);
	mnl_attr_put(nlh, 200, 3, "abc");
	msg_end(m, nlh);
	put_done(m, 0);
	ret = process(m, 0, m->len, &l, &err);
	ok(ret == 0 && l.n == 1 && l.v[0].action == DENY,
	   "unknown attributes ignored");
	policy_list_free(&l);

	/* The dump ends with an error: nothing is kept for printing. */
	memset(m, 0, sizeof(*m));
	put_rule(m, &triage);
	put_done(m, -EPERM);
	ret = process(m, 0, m->len, &l, &err);
	ok(ret == -EPERM, "a dump ended by an error fails with it");
	policy_list_free(&l);
	free(m);
}

/* Many rules: the list grows past its first allocation, over buffers. */
static void test_many(void)
{
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	size_t cut = 0, i;
	bool good_all = true;
	int r1, r2;

	for (i = 0; i < 100; i++) {
		struct raw_rule r = triage;

		r.pmin = r.pmax = (uint16_t)(1000 + i);
		r.hits = i;
		put_rule(m, &r);
		if (i == 49)
			cut = m->len;
	}
	put_done(m, 0);
	r1 = process(m, 0, cut, &l, &err);
	r2 = process(m, cut, m->len, &l, &err);
	for (i = 0; i < l.n; i++)
		good_all = good_all && l.v[i].hits == i &&
			   l.v[i].port_min == 1000 + i &&
			   strcmp(l.v[i].dst, triage.dst) == 0;
	ok(r1 == 1 && r2 == 0 && l.n == 100 && good_all,
	   "100 rules over two buffers, in order");
	policy_list_free(&l);
	free(m);
}

/* Random damage to a dump must never crash or read out of bounds. */
static void test_fuzz(void)
{
	const struct raw_rule all[] = { triage, any_deny, audit_range,
					unknown_action };
	struct msgbuf *good_m = calloc(1, sizeof(*good_m));
	struct msgbuf *m = calloc(1, sizeof(*m));
	struct kmtls_rule_list l = { 0 };
	struct kmtls_nl_err err;
	unsigned int seed = 7, i, j;
	int ret, outcomes[3] = { 0 }, bad_print = 0, pret;
	char *s;

	for (i = 0; i < ARRAY_SIZE(all); i++)
		put_rule(good_m, &all[i]);
	put_done(good_m, 0);

	for (i = 0; i < 20000; i++) {
		memcpy(m->b, good_m->b, good_m->len);
		m->len = good_m->len;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			m->b[(seed >> 8) % good_m->len] = (uint8_t)(seed >> 20);
		}
		ret = process(m, 0, m->len, &l, &err);
		outcomes[ret < 0 ? 0 : ret == 0 ? 1 : 2]++;
		if (ret == 0) {
			s = print(&l, text, true, &pret);
			bad_print += pret != 0;
			free(s);
			s = print(&l, json, false, &pret);
			bad_print += pret != 0;
			free(s);
		}
		policy_list_free(&l);
	}
	ok(outcomes[0] > 0 && outcomes[1] > 0,
	   "20000 damaged dumps handled (%d errors, %d done, %d more)",
	   outcomes[0], outcomes[1], outcomes[2]);
	is_int(bad_print, 0, "every rule a damaged dump yields prints");
	free(good_m);
	free(m);
}

static void test_write_error(void)
{
	struct kmtls_rule r = {
		.src = "*", .dst = "*", .port_min = 1, .port_max = 1,
		.action = ALLOW,
	};
	struct kmtls_rule_list l = { .v = &r, .n = 1 };
	FILE *full = fopen("/dev/full", "w");

	if (!full) {
		ok(true, "write error reported # SKIP no /dev/full");
		return;
	}
	ok(policy_print(full, &text, true, &l) != 0 &&
	   policy_print(full, &json, false, &l) != 0,
	   "write errors reported (text and JSON)");
	fclose(full);
}

/* ---- keep and hits ------------------------------------------------------ */

static int parse_extra(const char *line, unsigned int extra,
		       struct kmtls_rule *r, bool *keep, char *why,
		       size_t whylen)
{
	static char buf[8192];
	char *argv[32];
	int argc = split(line, buf, sizeof(buf), argv);

	return policy_parse_words(argc, argv, extra, r, keep, why, whylen);
}

static void test_keep_hits(void)
{
	struct kmtls_rule r;
	char why[512] = "";
	bool keep = true;
	int ret;

	ret = parse_extra("action allow", POLICY_WORD_KEEP, &r, &keep, why,
			  sizeof(why));
	ok(ret == 0 && !keep, "add: no keep");
	ret = parse_extra("action deny keep", POLICY_WORD_KEEP, &r, &keep, why,
			  sizeof(why));
	ok(ret == 0 && keep && r.action == DENY, "add: keep last");
	keep = false;
	ret = parse_extra("keep src spiffe://a/b action allow", POLICY_WORD_KEEP,
			  &r, &keep, why, sizeof(why));
	ok(ret == 0 && keep && strcmp(r.src, "spiffe://a/b") == 0,
	   "add: keep first, the rule's words after it");
	keep = false;
	ret = parse_extra("a al k p 80", POLICY_WORD_KEEP, &r, &keep, why,
			  sizeof(why));
	ok(ret == 0 && keep && r.port_min == 80, "add: keep by its prefix \"k\"");
	ret = parse_extra("keep action allow keep", POLICY_WORD_KEEP, &r, &keep,
			  why, sizeof(why));
	ok(ret == -EINVAL && strcmp(why, "keep given twice") == 0,
	   "add: keep twice refused");
	ret = parse_extra("action allow bogus", POLICY_WORD_KEEP, &r, &keep,
			  why, sizeof(why));
	is_str(why, "unknown keyword \"bogus\", expected src, dst, port, action or keep",
	       "add: an unknown word names keep among the expected");
	ret = parse_extra("action allow keep", 0, &r, NULL, why, sizeof(why));
	ok(ret == -EINVAL &&
	   strcmp(why, "unknown keyword \"keep\", expected src, dst, port or action") == 0,
	   "a bare rule: keep is unknown");
	ret = parse_extra("action allow hits 3", POLICY_WORD_KEEP, &r, &keep,
			  why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "unknown keyword \"hits\""),
	   "add: hits refused");

	ret = parse_extra("src * dst spiffe://a/b port 1-65535 action allow hits 18446744073709551615",
			  POLICY_WORD_HITS, &r, NULL, why, sizeof(why));
	ok(ret == 0 && r.action == ALLOW && strcmp(r.dst, "spiffe://a/b") == 0,
	   "restore: \"hits N\" taken and ignored");
	ret = parse_extra("hits 0 action deny", POLICY_WORD_HITS, &r, NULL, why,
			  sizeof(why));
	ok(ret == 0 && r.action == DENY, "restore: hits anywhere");
	ret = parse_extra("action deny hits", POLICY_WORD_HITS, &r, NULL, why,
			  sizeof(why));
	is_str(why, "missing N after \"hits\"", "restore: hits without N");
	ret = parse_extra("action deny hits x", POLICY_WORD_HITS, &r, NULL, why,
			  sizeof(why));
	is_str(why, "invalid hits \"x\": not a counter", "restore: hits x");
	ret = parse_extra("action deny hits 18446744073709551616", POLICY_WORD_HITS,
			  &r, NULL, why, sizeof(why));
	ok(ret == -EINVAL && strstr(why, "invalid hits"),
	   "restore: hits past 2^64-1 refused");
	ret = parse_extra("action deny hits 1 hits 2", POLICY_WORD_HITS, &r,
			  NULL, why, sizeof(why));
	is_str(why, "hits given twice", "restore: hits twice");
	ret = parse_extra("action deny keep", POLICY_WORD_HITS, &r, NULL, why,
			  sizeof(why));
	ok(ret == -EINVAL &&
	   strstr(why, "\"keep\" is not a word of a rule; give it to restore"),
	   "restore: keep on a line explained");
}

/* One line of a rule file. */
static void line_is(const char *line, int want, const char *src,
		    uint8_t action, const char *why_has)
{
	char buf[512], why[512] = "";
	struct kmtls_rule r = { 0 };
	int ret;

	snprintf(buf, sizeof(buf), "%s", line);
	ret = policy_line_parse(buf, &r, why, sizeof(why));
	if (!ok(ret == want &&
		(want != 1 || (strcmp(r.src, src) == 0 && r.action == action)) &&
		(!why_has || strstr(why, why_has)),
		"line \"%s\": %s", line,
		want == 1 ? "a rule" : want == 0 ? "nothing" : "refused")) {
		printf("#   ret %d\n", ret);
		diag_str("why", why);
	}
}

static void test_lines(void)
{
	line_is("", 0, NULL, 0, NULL);
	line_is("\n", 0, NULL, 0, NULL);
	line_is("  \t \r\n", 0, NULL, 0, NULL);
	line_is("# a comment", 0, NULL, 0, NULL);
	line_is("   #indented comment with action allow", 0, NULL, 0, NULL);
	line_is("action allow\n", 1, "*", ALLOW, NULL);
	line_is("action allow\r\n", 1, "*", ALLOW, NULL);
	line_is("\tsrc\tspiffe://a/b\t\taction  deny ", 1, "spiffe://a/b", DENY, NULL);
	line_is("src spiffe://a/b action deny # why: a comment", 1, "spiffe://a/b", DENY, NULL);
	line_is("src spiffe://a/b action deny #", 1, "spiffe://a/b", DENY, NULL);
	line_is("src * dst * port 1-65535 action audit hits 12", 1, "*", AUDIT, NULL);
	/* "#" inside a word is not a comment: the pattern is checked. */
	line_is("src spiffe://a/b#x action allow", -EINVAL, NULL, 0, "a query or fragment");
	line_is("src", -EINVAL, NULL, 0, "missing PATTERN after \"src\"");
	line_is("dst spiffe://a/b", -EINVAL, NULL, 0, "missing \"action allow|deny|audit\"");
	line_is("action allow action allow action allow action allow action allow action allow",
		-EINVAL, NULL, 0, "too many words for a rule");
	line_is("src * dst * port 1-2 action allow hits 1 x", -EINVAL, NULL, 0,
		"unknown keyword \"x\"");
	line_is("action allow keep", -EINVAL, NULL, 0, "\"keep\" is not a word of a rule");
	line_is("kmtls policy add action allow", -EINVAL, NULL, 0,
		"unknown keyword \"kmtls\"");
}

/* ---- what a change did -------------------------------------------------- */

static char *print_res(bool restore, const struct policy_result *res,
		       struct kmtls_opts opts)
{
	struct capture c;

	policy_result_print(capture_start(&c), &opts, restore, res);
	capture_end(&c);
	return c.buf;
}

static void test_results(void)
{
	struct policy_result none = { .has_reset = true, .has_kept = true };
	struct policy_result both = {
		.has_reset = true, .reset = 2, .has_kept = true, .kept = 1,
	};
	struct policy_result restored = {
		.has_rules = true, .rules = 3, .has_reset = true, .reset = 1,
		.has_kept = true,
	};
	struct policy_result old = { 0 };	/* a kernel sent no reply */
	char *s;

	s = print_res(false, &none, text);
	is_str(s, "", "add/del/flush: nothing when nothing was reset or kept");
	free(s);
	s = print_res(false, &none, json);
	is_str(s, "{\"reset\":0,\"kept\":0}\n", "  ... JSON: the object");
	free(s);
	s = print_res(false, &both, text);
	is_str(s, "reset 2 established flows the new policy denies\n"
		  "left 1 established flow the new policy denies open (keep)\n",
	       "reset and kept lines");
	free(s);
	s = print_res(false, &both, json);
	is_str(s, "{\"reset\":2,\"kept\":1}\n", "  ... JSON");
	free(s);
	s = print_res(true, &restored, text);
	is_str(s, "restored 3 rules\n"
		  "reset 1 established flow the new policy denies\n",
	       "restore: rules, then what was reset");
	free(s);
	s = print_res(true, &restored, json);
	is_str(s, "{\"rules\":3,\"reset\":1,\"kept\":0}\n", "  ... JSON");
	free(s);
	restored = (struct policy_result){ .has_rules = true, .rules = 1 };
	s = print_res(true, &restored, text);
	is_str(s, "restored 1 rule\n", "restore: one rule, singular");
	free(s);
	restored.rules = 0;
	s = print_res(true, &restored, text);
	is_str(s, "restored 0 rules\n", "restore: the empty set");
	free(s);
	s = print_res(false, &old, json);
	is_str(s, "{}\n", "JSON: only what the kernel sent");
	free(s);
	s = print_res(false, &both, pretty);
	is_str(s, "{\n  \"reset\": 2,\n  \"kept\": 1\n}\n", "pretty JSON");
	free(s);

	/* The reply, decoded. */
	{
		struct msgbuf *m = calloc(1, sizeof(*m));
		const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
		struct policy_result res = { 0 };
		struct kmtls_nl_reply reply;
		struct kmtls_nl_err err;
		struct nlmsghdr *nlh, *req;
		struct genlmsghdr *g;
		int ret;

		req = (struct nlmsghdr *)request();
		req->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh = msg_begin(m, FAMILY, 0);
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = KMTLS_CMD_POLICY_COMMIT;
		mnl_attr_put_u32(nlh, KMTLS_A_POLICY_RULES, 100000);
		mnl_attr_put_u32(nlh, KMTLS_A_POLICY_RESET, 4);
		mnl_attr_put_u32(nlh, KMTLS_A_POLICY_KEPT, 0);
		msg_end(m, nlh);
		nlh = msg_begin(m, NLMSG_ERROR, 0);
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct nlmsgerr));
		msg_end(m, nlh);
		policy_result_reply_init(&reply, tb, &res);
		ret = kmtls_nl_process(m->b, m->len, req, PORTID, &reply, &err);
		ok(ret == 0 && res.has_rules && res.rules == 100000 &&
		   res.has_reset && res.reset == 4 && res.has_kept &&
		   res.kept == 0, "commit reply decoded: rules, reset, kept");

		memset(m, 0, sizeof(*m));
		res = (struct policy_result){ 0 };
		nlh = msg_begin(m, FAMILY, 0);
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = KMTLS_CMD_POLICY_ADD;
		mnl_attr_put_u64(nlh, KMTLS_A_POLICY_RESET, 4);
		msg_end(m, nlh);
		ret = kmtls_nl_process(m->b, m->len, req, PORTID, &reply, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "reset has a bad size"),
		   "a reset of eight bytes refused");
		free(m);
	}
}

/* ---- policy check ------------------------------------------------------- */

static void query_good(const char *line, const char *src, const char *dst,
		       unsigned int port, uint32_t repeat, bool has_repeat)
{
	static char buf[8192];
	struct policy_query q;
	char why[512] = "", *argv[32];
	int argc = split(line, buf, sizeof(buf), argv);
	int ret = policy_query_parse(argc, argv, &q, why, sizeof(why));

	if (!ok(ret == 0 && strcmp(q.src, src) == 0 &&
		strcmp(q.dst, dst) == 0 && q.port == port &&
		q.repeat == repeat && q.has_repeat == has_repeat,
		"check \"%s\"", line))
		printf("#   ret %d (%s)\n", ret, why);
}

static void query_bad(const char *line, const char *want)
{
	static char buf[8192];
	struct policy_query q;
	char why[512] = "", *argv[32];
	int argc = split(line, buf, sizeof(buf), argv);
	int ret = policy_query_parse(argc, argv, &q, why, sizeof(why));

	if (!ok(ret == -EINVAL && strstr(why, want), "check refuses \"%s\"",
		line)) {
		diag_str("why ", why);
		diag_str("want", want);
	}
}

static char *print_decision(const struct policy_query *q,
			    const struct policy_decision *d,
			    struct kmtls_opts opts)
{
	struct capture c;

	policy_decision_print(capture_start(&c), &opts, q, d);
	capture_end(&c);
	return c.buf;
}

static void test_check(void)
{
	static const struct kmtls_nl_policy req_pol[KMTLS_A_POLICY_MAX + 1] = {
		[KMTLS_A_POLICY_SRC] = { KMTLS_NL_STRING, true, "src" },
		[KMTLS_A_POLICY_DST] = { KMTLS_NL_STRING, true, "dst" },
		[KMTLS_A_POLICY_PORT] = { KMTLS_NL_U16, true, "port" },
		[KMTLS_A_POLICY_REPEAT] = { KMTLS_NL_U32, true, "repeat" },
	};
	uint8_t buf[KMTLS_NL_TX_SIZE] __attribute__((aligned(8)));
	const struct nlattr *tb[KMTLS_A_POLICY_MAX + 1];
	struct policy_query q = {
		.src = "spiffe://a/b", .dst = "spiffe://a/c", .port = 5432,
		.repeat = 1,
	};
	struct policy_decision d = { .received = true, .action = ALLOW,
				     .elapsed_ns = 123 };
	struct kmtls_nl_err err;
	struct nlmsghdr *nlh;
	char *s;

	query_good("src spiffe://a/b dst spiffe://a/c port 5432",
		   "spiffe://a/b", "spiffe://a/c", 5432, 1, false);
	query_good("port 1 dst spiffe://x.y/a/b/c src spiffe://x.y/z repeat 1000000",
		   "spiffe://x.y/z", "spiffe://x.y/a/b/c", 1, 1000000, true);
	query_good("s spiffe://a/b d spiffe://a/c p 65535 r 1",
		   "spiffe://a/b", "spiffe://a/c", 65535, 1, true);
	query_bad("", "missing \"src SPIFFE-ID\"");
	query_bad("src spiffe://a/b port 1", "missing \"dst SPIFFE-ID\"");
	query_bad("src spiffe://a/b dst spiffe://a/c", "missing \"port PORT\"");
	query_bad("src * dst spiffe://a/c port 1",
		  "invalid src \"*\": it must start with \"spiffe://\" (check takes the SPIFFE IDs of one connection, not patterns)");
	query_bad("src spiffe://a/b dst spiffe://a/* port 1",
		  "invalid dst \"spiffe://a/*\"");
	query_bad("src spiffe://A/b dst spiffe://a/c port 1",
		  "the trust domain must be lower case");
	query_bad("src spiffe://a/b dst spiffe://a/c port 0",
		  "port 0 is not allowed (ports are 1..65535)");
	query_bad("src spiffe://a/b dst spiffe://a/c port 65536",
		  "port 65536 out of range 1..65535");
	query_bad("src spiffe://a/b dst spiffe://a/c port 80-90",
		  "invalid port \"80-90\": check takes one port, not a range");
	query_bad("src spiffe://a/b dst spiffe://a/c port x",
		  "invalid port \"x\"");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 repeat 0",
		  "repeat \"0\" out of range 1..1000000");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 repeat 1000001",
		  "repeat \"1000001\" out of range 1..1000000");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 repeat 99999999999",
		  "repeat \"99999999999\" out of range 1..1000000");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 repeat -1",
		  "invalid repeat \"-1\": not a number");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 repeat",
		  "missing N after \"repeat\"");
	query_bad("src spiffe://a/b src spiffe://a/b", "src given twice");
	query_bad("src spiffe://a/b dst spiffe://a/c port 1 action allow",
		  "unknown keyword \"action\", expected src, dst, port or repeat");

	/* The request: all four attributes. */
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	ok(policy_query_put(nlh, &q) &&
	   kmtls_nl_parse_genl(nlh, req_pol, KMTLS_A_POLICY_MAX, tb, &err) == 0 &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_SRC]), "spiffe://a/b") == 0 &&
	   strcmp(mnl_attr_get_str(tb[KMTLS_A_POLICY_DST]), "spiffe://a/c") == 0 &&
	   mnl_attr_get_u16(tb[KMTLS_A_POLICY_PORT]) == 5432 &&
	   mnl_attr_get_u32(tb[KMTLS_A_POLICY_REPEAT]) == 1,
	   "check request: src, dst, port (u16), repeat (u32, 1 by default)");

	/* Printing. */
	s = print_decision(&q, &d, text);
	is_str(s, "allow\n", "check: allow");
	free(s);
	s = print_decision(&q, &d, json);
	is_str(s, "{\"action\":\"allow\",\"would-deny\":false,\"elapsed-ns\":123,\"repeat\":1}\n",
	       "  ... JSON");
	free(s);
	d.action = DENY;
	s = print_decision(&q, &d, text);
	is_str(s, "deny\n", "check: deny");
	free(s);
	d.action = ALLOW;
	d.would_deny = true;
	s = print_decision(&q, &d, text);
	is_str(s, "allow (audit: would deny)\n", "check: allowed by audit");
	free(s);
	s = print_decision(&q, &d, json);
	is_str(s, "{\"action\":\"allow\",\"would-deny\":true,\"elapsed-ns\":123,\"repeat\":1}\n",
	       "  ... JSON");
	free(s);
	q.repeat = 1000;
	q.has_repeat = true;
	d.would_deny = false;
	d.elapsed_ns = 312500;
	s = print_decision(&q, &d, text);
	is_str(s, "allow\n1000 decisions in 312500 ns, 313 ns each\n",
	       "check with repeat: the timing, rounded");
	free(s);
	s = print_decision(&q, &d, json);
	is_str(s, "{\"action\":\"allow\",\"would-deny\":false,\"elapsed-ns\":312500,\"repeat\":1000}\n",
	       "  ... JSON");
	free(s);
	q.repeat = 1;
	d.elapsed_ns = 40;
	s = print_decision(&q, &d, text);
	is_str(s, "allow\n1 decision in 40 ns, 40 ns each\n",
	       "check with repeat 1: one decision");
	free(s);
	d.action = 7;
	s = print_decision(&q, &d, text);
	is_str(s, "action 7\n1 decision in 40 ns, 40 ns each\n",
	       "check: an unknown action as its number");
	free(s);
	s = print_decision(&q, &d, json);
	ok(s && strncmp(s, "{\"action\":7,", 12) == 0, "  ... JSON: a number");
	free(s);

	/* The reply, decoded; elapsed-ns after a pad, as nla_put_u64_64bit. */
	{
		struct msgbuf *m = calloc(1, sizeof(*m));
		struct policy_decision dd = { 0 };
		struct kmtls_nl_reply reply;
		struct nlmsghdr *req;
		struct genlmsghdr *g;
		int ret;

		req = (struct nlmsghdr *)request();
		nlh = msg_begin(m, FAMILY, 0);
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		g->cmd = KMTLS_CMD_POLICY_CHECK;
		mnl_attr_put_u8(nlh, KMTLS_A_POLICY_ACTION, ALLOW);
		mnl_attr_put_u8(nlh, KMTLS_A_POLICY_WOULD_DENY, 1);
		mnl_attr_put(nlh, KMTLS_A_POLICY_PAD, 0, NULL);
		mnl_attr_put_u64(nlh, KMTLS_A_POLICY_ELAPSED_NS, 99);
		msg_end(m, nlh);
		put_done(m, 0);
		policy_decision_reply_init(&reply, tb, &dd);
		ret = kmtls_nl_process(m->b, m->len, req, PORTID, &reply, &err);
		ok(ret == 0 && dd.received && dd.action == ALLOW &&
		   dd.would_deny && dd.elapsed_ns == 99,
		   "check reply decoded: action, would-deny, elapsed-ns");

		memset(m, 0, sizeof(*m));
		dd = (struct policy_decision){ 0 };
		nlh = msg_begin(m, FAMILY, 0);
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		mnl_attr_put_u8(nlh, KMTLS_A_POLICY_ACTION, DENY);
		mnl_attr_put_u64(nlh, KMTLS_A_POLICY_ELAPSED_NS, 5);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = kmtls_nl_process(m->b, m->len, req, PORTID, &reply, &err);
		ok(ret == 0 && dd.received && dd.action == DENY && !dd.would_deny,
		   "  ... without would-deny: false");

		memset(m, 0, sizeof(*m));
		nlh = msg_begin(m, FAMILY, 0);
		g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
		mnl_attr_put_u8(nlh, KMTLS_A_POLICY_ACTION, DENY);
		msg_end(m, nlh);
		put_done(m, 0);
		ret = kmtls_nl_process(m->b, m->len, req, PORTID, &reply, &err);
		ok(ret == -EBADMSG && strstr(err.msg, "elapsed-ns missing"),
		   "  ... without elapsed-ns: refused");
		free(m);
	}
}

/* ---- the command line --------------------------------------------------- */

static int run(const char *line, char **out, char **err)
{
	struct capture co, ce;
	struct kmtls_ctx ctx = { 0 };
	char copy[512], *argv[32];
	int argc, ret;

	argc = split(line, copy, sizeof(copy), argv);
	ctx.out = capture_start(&co);
	ctx.err = capture_start(&ce);
	ret = kmtls_run(&ctx, argc, argv);
	*out = (char *)capture_end(&co);
	*err = (char *)capture_end(&ce);
	return ret;
}

/* Run line; check exit code and that stderr (or stdout) starts with want. */
static void expect(const char *line, int code, const char *want_err,
		   const char *want_out)
{
	char *out, *err;
	int ret = run(line, &out, &err);
	bool pass = ret == code;

	if (want_err)
		pass = pass && strncmp(err, want_err, strlen(want_err)) == 0;
	else
		pass = pass && err[0] == '\0';
	if (want_out)
		pass = pass && strncmp(out, want_out, strlen(want_out)) == 0;
	if (!ok(pass, "\"%s\" exits %d", line, code)) {
		printf("#   exit %d\n", ret);
		diag_str("stdout", out);
		diag_str("stderr", err);
	}
	free(out);
	free(err);
}

static void test_grammar(void)
{
	expect("kmtls help policy", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls help p", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls p h", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy add help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy del help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy flush help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy show help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls help", EXIT_OK, NULL, "Usage: kmtls [OPTIONS]");
	expect("kmtls policy bogus", EXIT_USAGE, "kmtls: unknown command \"bogus\"\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy show x", EXIT_USAGE, "kmtls: unexpected argument \"x\"\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy list -s x", EXIT_USAGE, "kmtls: unexpected argument \"x\"", NULL);
	expect("kmtls policy -x", EXIT_USAGE, "kmtls: unexpected argument \"-x\"", NULL);
	expect("kmtls p l -j", EXIT_USAGE, "kmtls: unexpected argument \"-j\"", NULL);
	expect("kmtls policy flush all", EXIT_USAGE, "kmtls: unexpected argument \"all\"", NULL);
	expect("kmtls policy flush keep now", EXIT_USAGE, "kmtls: unexpected argument \"now\"", NULL);
	expect("kmtls policy add action allow keep keep", EXIT_USAGE, "kmtls: keep given twice", NULL);
	expect("kmtls policy del keep", EXIT_USAGE, "kmtls: missing \"action allow|deny|audit\"", NULL);
	expect("kmtls policy restore help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy restore a b", EXIT_USAGE, "kmtls: unexpected argument \"b\" (restore reads one FILE)\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy restore keep keep", EXIT_USAGE, "kmtls: keep given twice (a file called keep is ./keep)", NULL);
	expect("kmtls policy restore /nonexistent/rules", EXIT_FAIL, "Error: cannot open /nonexistent/rules: No such file or directory\n", NULL);
	expect("kmtls policy check help", EXIT_OK, NULL, "Usage: kmtls policy");
	expect("kmtls policy check", EXIT_USAGE, "kmtls: missing \"src SPIFFE-ID\"\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy check src spiffe://a/b dst spiffe://a/c port 0", EXIT_USAGE, "kmtls: port 0 is not allowed (ports are 1..65535)", NULL);
	expect("kmtls policy check src spiffe://a/b dst spiffe://a/c port 1 repeat 0", EXIT_USAGE, "kmtls: repeat \"0\" out of range 1..1000000", NULL);
	expect("kmtls p c src spiffe://a/b dst spiffe://a/c port 1 r 1000001", EXIT_USAGE, "kmtls: repeat \"1000001\" out of range 1..1000000", NULL);
	expect("kmtls policy ch src * dst spiffe://a/c port 1", EXIT_USAGE, "kmtls: invalid src \"*\"", NULL);
	expect("kmtls policy add", EXIT_USAGE, "kmtls: missing \"action allow|deny|audit\"\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy del src spiffe://a/b", EXIT_USAGE, "kmtls: missing \"action allow|deny|audit\"", NULL);
	expect("kmtls policy add action maybe", EXIT_USAGE, "kmtls: invalid action \"maybe\": expected allow, deny or audit\nTry \"kmtls policy help\".\n", NULL);
	expect("kmtls policy add action a", EXIT_USAGE, "kmtls: invalid action \"a\": ambiguous, could be allow, audit", NULL);
	expect("kmtls policy add src x action allow", EXIT_USAGE, "kmtls: invalid src pattern \"x\"", NULL);
	expect("kmtls policy add dst spiffe://a action allow", EXIT_USAGE, "kmtls: invalid dst pattern \"spiffe://a\": a path is needed", NULL);
	expect("kmtls policy add port 0 action allow", EXIT_USAGE, "kmtls: port 0 is not allowed", NULL);
	expect("kmtls policy add port 65536 action allow", EXIT_USAGE, "kmtls: port 65536 out of range 1..65535", NULL);
	expect("kmtls policy add port 9-8 action allow", EXIT_USAGE, "kmtls: port range 9-8 is inverted", NULL);
	expect("kmtls policy add port x action allow", EXIT_USAGE, "kmtls: invalid port \"x\"", NULL);
	expect("kmtls policy add port 1 port 1 action allow", EXIT_USAGE, "kmtls: port given twice", NULL);
	expect("kmtls policy add action deny src", EXIT_USAGE, "kmtls: missing PATTERN after \"src\"", NULL);
	expect("kmtls policy add action deny hits 3", EXIT_USAGE, "kmtls: unknown keyword \"hits\"", NULL);
	expect("kmtls policy del action deny bogus", EXIT_USAGE, "kmtls: unknown keyword \"bogus\"", NULL);
	expect("kmtls config set policy-default", EXIT_USAGE, "kmtls: missing value for policy-default", NULL);
	expect("kmtls config set policy-default maybe", EXIT_USAGE, "kmtls: invalid policy-default \"maybe\": expected allow, deny or audit\nTry \"kmtls config help\".\n", NULL);
	expect("kmtls config set p a", EXIT_USAGE, "kmtls: invalid policy-default \"a\": ambiguous, could be allow, audit", NULL);
	expect("kmtls config set policy-default 1", EXIT_USAGE, "kmtls: invalid policy-default \"1\"", NULL);
	expect("kmtls config set policy-default deny policy-default allow", EXIT_USAGE, "kmtls: policy-default given twice", NULL);
	expect("kmtls config set policy-default deny handshake-timeout 1", EXIT_USAGE, "kmtls: handshake-timeout \"1\" out of range", NULL);
}

int main(void)
{
	test_parse_good();
	test_parse_bad();
	test_pattern_length();
	test_actions();
	test_request();
	test_show();
	test_unknown_action();
	test_escape();
	test_round_trip();
	test_keep_hits();
	test_lines();
	test_results();
	test_check();
	test_bad_replies();
	test_many();
	test_fuzz();
	test_write_error();
	test_grammar();
	return tap_done();
}
