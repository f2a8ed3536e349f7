// SPDX-License-Identifier: GPL-2.0
/*
 * Contract tests of the policy operations (netlink/kmtls.yaml):
 * policy-add/-del/-get/-flush, the staged set of policy-add with stage and
 * policy-commit, and policy-check, against the loaded module.
 *
 * Needs root and the kmtls module.  The tests replace the node's rule set
 * (they flush it before and after): run them on a test node only.  Every
 * rejection is checked to change nothing: the rule dump is compared before
 * and after.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kmtls.h>

#include "nl_util.h"
/* 6.1's harness has an unused parameter; -Wextra -Werror would stop here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define WHYLEN		512
#define TD		"spiffe://rules.test"
#define TRIAGE		TD "/triage"
#define BILLING		TD "/billing"
#define PG		TD "/postgres"
#define STAGES_MAX	16	/* kmod/policy.c KMTLS_STAGES_MAX */

static struct nl_reply reply;

/* A rule as a request gives it; absent numbers are < 0, strings NULL. */
struct rule {
	const char *src, *dst;
	int pmin, pmax, action;
};

#define R(s, d, lo, hi, a) ((struct rule){ (s), (d), (lo), (hi), (a) })

static void open_family(struct __test_metadata *_metadata, struct nl_sock *s,
			__u16 *family)
{
	struct genl_family_info fi;
	int ret;

	s->fd = -1;
	ret = nl_open(s, 5000);
	ASSERT_EQ(0, ret) TH_LOG("socket: %s", strerror(-ret));
	ret = genl_resolve(s, KMTLS_FAMILY_NAME, &fi);
	if (ret)
		nl_close(s);
	ASSERT_EQ(0, ret) TH_LOG("family \"%s\" not found (%s)",
				 KMTLS_FAMILY_NAME, errno_name(ret));
	*family = fi.id;
}

static void build_rule(struct nl_sock *s, struct nl_msg *m, __u16 family,
		       __u8 cmd, const struct rule *r, bool stage)
{
	genl_req(s, m, family, cmd, KMTLS_FAMILY_VERSION);
	if (r->src)
		nlm_put_strz(m, KMTLS_A_POLICY_SRC, r->src);
	if (r->dst)
		nlm_put_strz(m, KMTLS_A_POLICY_DST, r->dst);
	if (r->pmin >= 0)
		nlm_put_u16(m, KMTLS_A_POLICY_PORT_MIN, (__u16)r->pmin);
	if (r->pmax >= 0)
		nlm_put_u16(m, KMTLS_A_POLICY_PORT_MAX, (__u16)r->pmax);
	if (r->action >= 0)
		nlm_put_u8(m, KMTLS_A_POLICY_ACTION, (__u8)r->action);
	if (stage)
		nlm_put_attr(m, KMTLS_A_POLICY_STAGE, NULL, 0);
}

/* Send m; the kernel's errno (0 or -errno), or -1000 for no answer. */
static int transact(struct nl_sock *s, const struct nl_msg *m)
{
	return nl_transact(s, m, &reply) ? -1000 : reply.error;
}

static int rule_req(struct nl_sock *s, __u16 family, __u8 cmd,
		    struct rule r, bool stage)
{
	struct nl_msg m;

	build_rule(s, &m, family, cmd, &r, stage);
	return transact(s, &m);
}

/* A u32 (or u8/u64) attribute of the reply's first data message, or -1. */
static long long reply_attr(__u16 type)
{
	const struct nlattr *a;
	int rem;

	if (reply.n_data < 1)
		return -1;
	nla_for_each_(a, genl_attrs(&reply.nlh), genl_attrs_len(&reply.nlh),
		      rem) {
		if (nla_type_(a) != type)
			continue;
		switch (nla_plen(a)) {
		case 1: return nla_get_u8_(a);
		case 2: return nla_get_u16_(a);
		case 4: return nla_get_u32_(a);
		case 8: return (long long)nla_get_u64_(a);
		}
	}
	return -1;
}

/* The rule dump as sorted lines "src dst pmin-pmax action hits". */
struct dump {
	int n;
	char **line;
};

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct dump *d = arg;
	const char *src = "?", *dst = "?";
	unsigned int pmin = 0, pmax = 0, action = 0;
	unsigned long long hits = 0;
	const struct nlattr *a;
	char buf[5000];
	int rem;

	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem) {
		switch (nla_type_(a)) {
		case KMTLS_A_POLICY_SRC: src = nla_pdata(a); break;
		case KMTLS_A_POLICY_DST: dst = nla_pdata(a); break;
		case KMTLS_A_POLICY_PORT_MIN: pmin = nla_get_u16_(a); break;
		case KMTLS_A_POLICY_PORT_MAX: pmax = nla_get_u16_(a); break;
		case KMTLS_A_POLICY_ACTION: action = nla_get_u8_(a); break;
		case KMTLS_A_POLICY_HITS: hits = nla_get_u64_(a); break;
		}
	}
	snprintf(buf, sizeof(buf), "%s %s %u-%u %u %llu", src, dst, pmin,
		 pmax, action, hits);
	d->line = realloc(d->line, sizeof(char *) * (d->n + 1));
	if (!d->line)
		return -ENOMEM;
	d->line[d->n] = strdup(buf);
	if (!d->line[d->n])
		return -ENOMEM;
	d->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void dump_free(struct dump *d)
{
	while (d->n)
		free(d->line[--d->n]);
	free(d->line);
	d->line = NULL;
}

/* "a|b|c": the dump, sorted, joined (caller frees). */
static char *dump_rules(struct nl_sock *s, __u16 family)
{
	struct dump d = { 0, NULL };
	struct nl_reply *r = malloc(sizeof(*r));
	struct nl_msg m;
	size_t len = 1;
	char *out;
	int i;

	if (!r)
		return NULL;
	genl_dump_req(s, &m, family, KMTLS_CMD_POLICY_GET, KMTLS_FAMILY_VERSION);
	if (nl_dump(s, &m, 0, dump_cb, &d, r, NULL) || r->error) {
		free(r);
		dump_free(&d);
		return NULL;
	}
	free(r);
	qsort(d.line, d.n, sizeof(char *), cmp_str);
	for (i = 0; i < d.n; i++)
		len += strlen(d.line[i]) + 1;
	out = calloc(1, len);
	for (i = 0; out && i < d.n; i++) {
		strcat(out, d.line[i]);
		if (i + 1 < d.n)
			strcat(out, "|");
	}
	dump_free(&d);
	return out;
}

static int flush_rules(struct nl_sock *s, __u16 family)
{
	struct nl_msg m;

	genl_req(s, &m, family, KMTLS_CMD_POLICY_FLUSH, KMTLS_FAMILY_VERSION);
	return transact(s, &m);
}

static int commit(struct nl_sock *s, __u16 family)
{
	struct nl_msg m;

	genl_req(s, &m, family, KMTLS_CMD_POLICY_COMMIT, KMTLS_FAMILY_VERSION);
	return transact(s, &m);
}

/* policy-check; the action (1..3) or the kernel's -errno. */
static int check(struct nl_sock *s, __u16 family, const char *src,
		 const char *dst, int port, int repeat)
{
	struct nl_msg m;
	int ret;

	genl_req(s, &m, family, KMTLS_CMD_POLICY_CHECK, KMTLS_FAMILY_VERSION);
	if (src)
		nlm_put_strz(&m, KMTLS_A_POLICY_SRC, src);
	if (dst)
		nlm_put_strz(&m, KMTLS_A_POLICY_DST, dst);
	if (port >= 0)
		nlm_put_u16(&m, KMTLS_A_POLICY_PORT, (__u16)port);
	if (repeat >= 0)
		nlm_put_u32(&m, KMTLS_A_POLICY_REPEAT, (__u32)repeat);
	ret = transact(s, &m);
	return ret ? ret : (int)reply_attr(KMTLS_A_POLICY_ACTION);
}

FIXTURE(rules) {
	struct nl_sock sk;
	__u16 family;
};

FIXTURE_SETUP(rules)
{
	open_family(_metadata, &self->sk, &self->family);
	ASSERT_EQ(0, flush_rules(&self->sk, self->family))
		TH_LOG("policy-flush: %s", reply.msg);
}

FIXTURE_TEARDOWN(rules)
{
	if (flush_rules(&self->sk, self->family)) {
		TH_LOG("teardown: policy-flush failed");
		_metadata->passed = 0;
	}
	nl_close(&self->sk);
}

/* Send a bad rule: rejected with err1 (or err2), an extack message
 * containing msg (if given), and the rule set unchanged.
 */
static void rejected(struct __test_metadata *_metadata, struct nl_sock *s,
		     __u16 family, __u8 cmd, struct rule r, bool stage,
		     int err1, int err2, const char *msg, const char *what)
{
	char *before = dump_rules(s, family), *after;
	int kerr = rule_req(s, family, cmd, r, stage);

	ASSERT_NE(NULL, before);
	EXPECT_TRUE(kerr == -err1 || (err2 && kerr == -err2))
		TH_LOG("%s: answered %s (extack \"%s\"), expected %s",
		       what, errno_name(kerr), reply.msg, errno_name(err1));
	EXPECT_TRUE(reply.has_msg && reply.msg[0])
		TH_LOG("%s: no extack message", what);
	if (msg)
		EXPECT_NE(NULL, strstr(reply.msg, msg))
			TH_LOG("%s: extack \"%s\", expected \"%s\"", what,
			       reply.msg, msg);
	after = dump_rules(s, family);
	ASSERT_NE(NULL, after);
	EXPECT_STREQ(before, after) TH_LOG("%s changed the rule set", what);
	free(before);
	free(after);
}

TEST_F(rules, bad_rules)
{
	__u8 add = KMTLS_CMD_POLICY_ADD;
	char *longid;

	ASSERT_EQ(0, rule_req(&self->sk, self->family, add,
			      R(TRIAGE, PG, 5432, 5432, KMTLS_ACTION_ALLOW),
			      false)) TH_LOG("%s", reply.msg);
	rejected(_metadata, &self->sk, self->family, add,
		 R("not-a-uri", PG, -1, -1, KMTLS_ACTION_ALLOW), false,
		 EINVAL, 0, NULL, "malformed src");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, "spiffe://UPPER.case/x", -1, -1, KMTLS_ACTION_ALLOW),
		 false, EINVAL, 0, NULL, "malformed dst");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, TD "/a/*/b", -1, -1, KMTLS_ACTION_ALLOW),
		 false, EINVAL, 0, NULL, "a wildcard inside a path");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, 0, 10, KMTLS_ACTION_ALLOW), false,
		 EINVAL, ERANGE, NULL, "port-min 0");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, 10, 0, KMTLS_ACTION_ALLOW), false,
		 EINVAL, ERANGE, NULL, "port-max 0");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, 90, 80, KMTLS_ACTION_ALLOW), false,
		 EINVAL, 0, "port range is inverted", "inverted range");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, -1, -1, 4), false, EINVAL, ERANGE, NULL,
		 "unknown action 4");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, -1, -1, 0), false, EINVAL, ERANGE, NULL,
		 "unknown action 0");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, -1, -1, -1), false, EINVAL, 0,
		 "a rule needs src, dst and action", "no action");
	rejected(_metadata, &self->sk, self->family, add,
		 R(NULL, PG, -1, -1, KMTLS_ACTION_DENY), false, EINVAL, 0,
		 "a rule needs src, dst and action", "no src");
	rejected(_metadata, &self->sk, self->family, add,
		 R(TRIAGE, PG, 5432, 5432, KMTLS_ACTION_ALLOW), false,
		 EEXIST, 0, "rule already exists", "duplicate");
	rejected(_metadata, &self->sk, self->family, KMTLS_CMD_POLICY_DEL,
		 R(TRIAGE, PG, 5432, 5433, KMTLS_ACTION_ALLOW), false,
		 ENOENT, 0, "no such rule", "del of an absent rule");
	rejected(_metadata, &self->sk, self->family, KMTLS_CMD_POLICY_DEL,
		 R(TRIAGE, PG, 5432, 5432, KMTLS_ACTION_ALLOW), true,
		 EINVAL, 0, "only policy-add stages", "del with stage");

	longid = malloc(KMTLS_SPIFFE_ID_MAX_LEN + 100);
	ASSERT_NE(NULL, longid);
	strcpy(longid, TD "/");
	memset(longid + strlen(longid), 'a', KMTLS_SPIFFE_ID_MAX_LEN + 10);
	longid[KMTLS_SPIFFE_ID_MAX_LEN + 30] = '\0';
	rejected(_metadata, &self->sk, self->family, add,
		 R(longid, PG, -1, -1, KMTLS_ACTION_ALLOW), false,
		 EINVAL, ERANGE, NULL, "src over the length limit");
	free(longid);
}

/* A live add replies with reset and kept; an absent port range is 1-65535. */
TEST_F(rules, add_reply_and_defaults)
{
	char *d;

	ASSERT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R("*", TD "/*", -1, -1, KMTLS_ACTION_AUDIT),
			      false)) TH_LOG("%s", reply.msg);
	EXPECT_EQ(1, reply.n_data);
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_RESET));
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_KEPT));
	d = dump_rules(&self->sk, self->family);
	ASSERT_NE(NULL, d);
	EXPECT_STREQ("* " TD "/* 1-65535 3 0", d);
	free(d);
}

/* Staged rules are invisible until commit; commit swaps the whole set. */
TEST_F(rules, stage_then_commit)
{
	struct nl_sock a;
	__u16 fam;
	char *d;

	ASSERT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R(BILLING, PG, -1, -1, KMTLS_ACTION_ALLOW),
			      false));
	open_family(_metadata, &a, &fam);
	ASSERT_EQ(0, rule_req(&a, fam, KMTLS_CMD_POLICY_ADD,
			      R(TRIAGE, PG, 5432, 5432, KMTLS_ACTION_ALLOW),
			      true)) TH_LOG("%s", reply.msg);
	EXPECT_EQ(0, reply.n_data) TH_LOG("a staged add has no reply");
	ASSERT_EQ(0, rule_req(&a, fam, KMTLS_CMD_POLICY_ADD,
			      R(BILLING, TD "/*", -1, -1, KMTLS_ACTION_DENY),
			      true));
	/* A duplicate within the staged set is refused there. */
	EXPECT_EQ(-EEXIST, rule_req(&a, fam, KMTLS_CMD_POLICY_ADD,
				    R(BILLING, TD "/*", -1, -1,
				      KMTLS_ACTION_DENY), true));

	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ(BILLING " " PG " 1-65535 1 0", d);
	free(d);
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, BILLING, PG, 5432, -1))
		TH_LOG("the staged deny must not count before commit");
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, TRIAGE, PG, 5432, -1))
		TH_LOG("the live allow for billing names postgres");

	ASSERT_EQ(0, commit(&a, fam)) TH_LOG("%s", reply.msg);
	EXPECT_EQ(2, reply_attr(KMTLS_A_POLICY_RULES));
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_RESET));
	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ(BILLING " " TD "/* 1-65535 2 0|" TRIAGE " " PG
		     " 5432-5432 1 0", d);
	free(d);
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, BILLING, PG, 5432, -1));
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, PG, 5432, -1));

	/* Nothing staged any more: a second commit installs the empty set. */
	ASSERT_EQ(0, commit(&a, fam));
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_RULES));
	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ("", d);
	free(d);
	nl_close(&a);
}

/* A nested rule attribute (strict validation wants NLA_F_NESTED). */
static struct nlattr *rule_nest(struct nl_msg *m)
{
	return nlm_put_attr(m, KMTLS_A_POLICY_RULE | NLA_F_NESTED, NULL, 0);
}

/* Rules nested in one staged message: staged in order; the first bad one
 * stops the message and the extack points into its nest.
 */
TEST_F(rules, nested_stage)
{
	struct nlattr *nest[3];
	struct nl_sock a;
	struct nl_msg m;
	__u16 fam;
	char *d;
	int i;

	open_family(_metadata, &a, &fam);
	genl_req(&a, &m, fam, KMTLS_CMD_POLICY_ADD, KMTLS_FAMILY_VERSION);
	nlm_put_attr(&m, KMTLS_A_POLICY_STAGE, NULL, 0);
	nlm_put_u32(&m, KMTLS_A_POLICY_RULES, 3);
	for (i = 0; i < 3; i++) {
		nest[i] = rule_nest(&m);
		nlm_put_strz(&m, KMTLS_A_POLICY_SRC, i == 1 ? "bad id" : TRIAGE);
		nlm_put_strz(&m, KMTLS_A_POLICY_DST, i == 2 ? BILLING : PG);
		nlm_put_u8(&m, KMTLS_A_POLICY_ACTION, KMTLS_ACTION_ALLOW);
		nlm_nest_end(&m, nest[i]);
	}
	EXPECT_EQ(-EINVAL, transact(&a, &m));
	ASSERT_TRUE(reply.has_offs) TH_LOG("no offset in the extack");
	EXPECT_TRUE(reply.offs >= (__u32)((char *)nest[1] - (char *)m.buf) &&
		    reply.offs < (__u32)((char *)nest[2] - (char *)m.buf))
		TH_LOG("offset %u is not inside the second rule", reply.offs);
	/* The first rule was staged, the third never was. */
	ASSERT_EQ(0, commit(&a, fam));
	EXPECT_EQ(1, reply_attr(KMTLS_A_POLICY_RULES));
	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ(TRIAGE " " PG " 1-65535 1 0", d);
	free(d);

	/* Nested rules are for staging only, and not mixed with a top rule. */
	genl_req(&a, &m, fam, KMTLS_CMD_POLICY_ADD, KMTLS_FAMILY_VERSION);
	nest[0] = rule_nest(&m);
	nlm_put_strz(&m, KMTLS_A_POLICY_SRC, TRIAGE);
	nlm_put_strz(&m, KMTLS_A_POLICY_DST, BILLING);
	nlm_put_u8(&m, KMTLS_A_POLICY_ACTION, KMTLS_ACTION_ALLOW);
	nlm_nest_end(&m, nest[0]);
	EXPECT_EQ(-EINVAL, transact(&a, &m));
	EXPECT_NE(NULL, strstr(reply.msg, "only for staging"));
	genl_req(&a, &m, fam, KMTLS_CMD_POLICY_ADD, KMTLS_FAMILY_VERSION);
	nlm_put_attr(&m, KMTLS_A_POLICY_STAGE, NULL, 0);
	nlm_put_strz(&m, KMTLS_A_POLICY_SRC, TRIAGE);
	nest[0] = rule_nest(&m);
	nlm_put_strz(&m, KMTLS_A_POLICY_SRC, TRIAGE);
	nlm_put_strz(&m, KMTLS_A_POLICY_DST, BILLING);
	nlm_put_u8(&m, KMTLS_A_POLICY_ACTION, KMTLS_ACTION_ALLOW);
	nlm_nest_end(&m, nest[0]);
	EXPECT_EQ(-EINVAL, transact(&a, &m));
	EXPECT_NE(NULL, strstr(reply.msg, "not both"));
	nl_close(&a);
	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ(TRIAGE " " PG " 1-65535 1 0", d);
	free(d);
}

/* A socket's staged set goes when the socket closes: at most STAGES_MAX
 * sockets stage at once, and closing them frees their places.
 */
TEST_F(rules, stage_dropped_on_close)
{
	struct nl_sock s[STAGES_MAX + 1];
	__u16 fam;
	char *d;
	int i, round;

	for (round = 0; round < 3; round++) {
		for (i = 0; i < STAGES_MAX; i++) {
			open_family(_metadata, &s[i], &fam);
			ASSERT_EQ(0, rule_req(&s[i], fam, KMTLS_CMD_POLICY_ADD,
					      R(TRIAGE, PG, i + 1, i + 1,
						KMTLS_ACTION_ALLOW), true))
				TH_LOG("round %d, socket %d: %s", round, i,
				       reply.msg);
		}
		open_family(_metadata, &s[i], &fam);
		EXPECT_EQ(-EBUSY, rule_req(&s[i], fam, KMTLS_CMD_POLICY_ADD,
					   R(TRIAGE, PG, -1, -1,
					     KMTLS_ACTION_ALLOW), true));
		EXPECT_NE(NULL, strstr(reply.msg, "too many policy restores"))
			TH_LOG("extack \"%s\"", reply.msg);
		for (i = 0; i <= STAGES_MAX; i++)
			nl_close(&s[i]);
	}
	d = dump_rules(&self->sk, self->family);
	EXPECT_STREQ("", d) TH_LOG("staged rules leaked into the live set");
	free(d);
}

/* policy-check follows docs/policy.md and counts nothing. */
TEST_F(rules, check_decisions)
{
	struct { struct rule r; } add[] = {
		{ R(TRIAGE, PG, 5432, 5432, KMTLS_ACTION_ALLOW) },
		{ R(BILLING, TD "/*", -1, -1, KMTLS_ACTION_DENY) },
		{ R(TRIAGE, TD "/audited", -1, -1, KMTLS_ACTION_AUDIT) },
		{ R(TD "/ns/a/*", TD "/ns/b/*", 80, 90, KMTLS_ACTION_ALLOW) },
	};
	unsigned int i;
	char *d, *p;

	for (i = 0; i < sizeof(add) / sizeof(add[0]); i++)
		ASSERT_EQ(0, rule_req(&self->sk, self->family,
				      KMTLS_CMD_POLICY_ADD, add[i].r, false))
			TH_LOG("%s", reply.msg);
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, PG, 5432, -1));
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_WOULD_DENY));
	/* An allow rule names postgres: other sources, other ports denied. */
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, TRIAGE, PG, 5433, -1));
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, TD "/other", PG, 5432, -1));
	/* Deny wins. */
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, BILLING, TD "/audited", 1, -1));
	/* Audit names "audited": others allowed, but "would deny". */
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TD "/x", TD "/audited", 1, -1));
	EXPECT_EQ(1, reply_attr(KMTLS_A_POLICY_WOULD_DENY));
	/* ... and the source it lists is allowed, not flagged. */
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, TD "/audited", 1, -1));
	EXPECT_EQ(0, reply_attr(KMTLS_A_POLICY_WOULD_DENY));
	/* Path prefixes at segment boundaries. */
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TD "/ns/a/x/y", TD "/ns/b/z",
			85, -1));
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, TD "/ns/ab", TD "/ns/b/z",
			85, -1));
	/* Nothing names it: the node default (allow). */
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, "spiffe://other.td/x",
			1, -1));
	/* Repeat: timed. */
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, PG, 5432, 1000));
	EXPECT_LT(0, reply_attr(KMTLS_A_POLICY_ELAPSED_NS));
	/* Bad requests. */
	EXPECT_EQ(-EINVAL, check(&self->sk, self->family, "x", PG, 1, -1));
	EXPECT_EQ(-EINVAL, check(&self->sk, self->family, TRIAGE, PG, -1, -1));
	EXPECT_NE(NULL, strstr(reply.msg, "needs src, dst and port"));
	EXPECT_TRUE(check(&self->sk, self->family, TRIAGE, PG, 1,
			  KMTLS_POLICY_CHECK_REPEAT_MAX + 1) < 0);
	EXPECT_TRUE(check(&self->sk, self->family, TRIAGE, PG, 1, 0) < 0);
	/* policy-check counted nothing: every rule has 0 hits. */
	d = dump_rules(&self->sk, self->family);
	ASSERT_NE(NULL, d);
	for (p = strtok(d, "|"); p; p = strtok(NULL, "|")) {
		const char *rule = p;

		EXPECT_STREQ(" 0", rule + strlen(rule) - 2) TH_LOG("%s", rule);
	}
	free(d);
}

/* IDs deeper than the deepest wildcard pattern still meet the shallow ones;
 * a wildcard pattern deeper than 15 segments is refused.
 */
TEST_F(rules, deep_ids)
{
	char deep[512], pat[512];
	int i;

	strcpy(deep, TD);
	for (i = 0; i < 20; i++)
		sprintf(deep + strlen(deep), "/s%d", i);
	ASSERT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R(TD "/*", PG, -1, -1, KMTLS_ACTION_DENY), false));
	ASSERT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R(TRIAGE, TD "/s0/*", -1, -1, KMTLS_ACTION_ALLOW),
			      false));
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, deep, PG, 1, -1))
		TH_LOG("a 20-segment client missed the trust-domain deny");
	EXPECT_EQ(KMTLS_ACTION_DENY,
		  check(&self->sk, self->family, BILLING, deep, 1, -1))
		TH_LOG("a 20-segment server is named by the allow rule for s0/*");
	EXPECT_EQ(KMTLS_ACTION_ALLOW,
		  check(&self->sk, self->family, TRIAGE, deep, 1, -1));

	/* 15 segments before the wildcard: fine; 16: refused. */
	strcpy(pat, TD);
	for (i = 0; i < 15; i++)
		strcat(pat, "/p");
	strcat(pat, "/*");
	EXPECT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R(TRIAGE, pat, -1, -1, KMTLS_ACTION_AUDIT), false))
		TH_LOG("%s: %s", pat, reply.msg);
	strcpy(pat + strlen(pat) - 1, "p/*");
	rejected(_metadata, &self->sk, self->family, KMTLS_CMD_POLICY_ADD,
		 R(TRIAGE, pat, -1, -1, KMTLS_ACTION_AUDIT), false, EINVAL, 0,
		 "at most 15 path segments", "a wildcard 16 segments deep");
}

static int unpriv_child(__u16 family, int *why)
{
	struct nl_sock s;
	struct nl_msg m;

	if (become_nobody((char[WHYLEN]){ 0 }, WHYLEN))
		return *why = 10;
	if (nl_open(&s, 2000))
		return *why = 11;
	if (rule_req(&s, family, KMTLS_CMD_POLICY_ADD,
		     R(TRIAGE, PG, -1, -1, KMTLS_ACTION_ALLOW), true) != -EPERM)
		return *why = 12;
	genl_req(&s, &m, family, KMTLS_CMD_POLICY_COMMIT, KMTLS_FAMILY_VERSION);
	if (transact(&s, &m) != -EPERM)
		return *why = 13;
	genl_req(&s, &m, family, KMTLS_CMD_POLICY_FLUSH, KMTLS_FAMILY_VERSION);
	if (transact(&s, &m) != -EPERM)
		return *why = 14;
	if (check(&s, family, TRIAGE, PG, 1, -1) != -EPERM)
		return *why = 15;
	nl_close(&s);
	return 0;
}

/* Staging, commit, flush and check need CAP_NET_ADMIN. */
TEST_F(rules, unprivileged)
{
	int status, why = 0;
	char *before, *after;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	ASSERT_EQ(0, rule_req(&self->sk, self->family, KMTLS_CMD_POLICY_ADD,
			      R(BILLING, PG, -1, -1, KMTLS_ACTION_DENY), false));
	before = dump_rules(&self->sk, self->family);
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(unpriv_child(self->family, &why));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("unprivileged step %d was not refused with EPERM",
		       WEXITSTATUS(status));
	after = dump_rules(&self->sk, self->family);
	EXPECT_STREQ(before, after);
	free(before);
	free(after);
}

TEST_HARNESS_MAIN
