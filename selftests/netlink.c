// SPDX-License-Identifier: GPL-2.0
/*
 * Contract tests of the kmtls generic netlink family (netlink/kmtls.yaml,
 * include/uapi/linux/kmtls.h) against the loaded module.
 *
 * Needs root and the kmtls module loaded; runs in the initial network
 * namespace.  Every test leaves the handshake timeout at its default.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kmtls.h>

#include "nl_util.h"
/* 6.1's harness has an unused parameter; -Wextra -Werror would stop here. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "kselftest_harness.h"
#pragma GCC diagnostic pop

#define SYSFS_VERSION	"/sys/module/kmtls/version"
#define WHYLEN		512

/* Exit code of a helper child that could not do its job for a reason that
 * is not the module's fault (e.g. no network namespace support).
 */
#define CHILD_SKIP	4

FIXTURE(kmtls) {
	struct nl_sock sk;
	__u16 family;
	bool touched;	/* may have changed the setting: restore it */
};

FIXTURE_SETUP(kmtls)
{
	struct genl_family_info fi;
	int ret;

	self->sk.fd = -1;
	ret = nl_open(&self->sk, 2000);
	ASSERT_EQ(0, ret)
		TH_LOG("cannot open a generic netlink socket: %s",
		       strerror(-ret));
	ret = genl_resolve(&self->sk, KMTLS_FAMILY_NAME, &fi);
	ASSERT_EQ(0, ret)
		TH_LOG("generic netlink family \"%s\" not found (%s): is the kmtls module loaded?",
		       KMTLS_FAMILY_NAME, errno_name(ret));
	self->family = fi.id;
}

FIXTURE_TEARDOWN(kmtls)
{
	char why[WHYLEN];

	/* Plain code, no EXPECT_*: after a failed ASSERT the harness's
	 * handler flag is still set and would print a bogus message.
	 */
	if (self->touched &&
	    kmtls_set_timeout(&self->sk, self->family,
			      KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS,
			      why, sizeof(why))) {
		TH_LOG("restoring the default handshake timeout: %s", why);
		_metadata->passed = 0;
	}
	nl_close(&self->sk);
}

/* Fetch the status or fail the test. */
#define STATUS_OK(st) do {						\
	char why_[WHYLEN];						\
	int ret_ = kmtls_get_status(&self->sk, self->family, (st),	\
				    why_, sizeof(why_));		\
	ASSERT_EQ(0, ret_) TH_LOG("get-status: %s", why_);		\
} while (0)

/* Set the handshake timeout or fail the test. */
#define SET_TIMEOUT_OK(ms) do {						\
	char why_[WHYLEN];						\
	int ret_;							\
	self->touched = true;						\
	ret_ = kmtls_set_timeout(&self->sk, self->family, (ms),	\
				 why_, sizeof(why_));			\
	ASSERT_EQ(0, ret_) TH_LOG("set-config %u: %s",			\
				  (unsigned int)(ms), why_);		\
} while (0)

/*
 * Send m (a kmtls request with NLM_F_ACK) and check that the kernel rejects
 * it: a negative errno (err1 or err2 if given), an extack message, no reply
 * message, and neither the setting nor config-changes moved.
 */
static void check_rejected(struct __test_metadata *_metadata,
			   FIXTURE_DATA(kmtls) *self, const struct nl_msg *m,
			   const char *what, int err1, int err2)
{
	const struct genlmsghdr *g = NLMSG_DATA(&m->nlh);
	struct kmtls_status before, after;
	struct nl_reply *r;
	int ret;

	/* Should a bad set-config get through, teardown restores. */
	if (g->cmd == KMTLS_CMD_SET_CONFIG)
		self->touched = true;
	STATUS_OK(&before);

	r = malloc(sizeof(*r));
	ASSERT_TRUE(r != NULL);
	ret = nl_transact(&self->sk, m, r);
	if (ret) {
		free(r);
		ASSERT_EQ(0, ret) TH_LOG("%s: no answer from the kernel: %s",
					 what, strerror(-ret));
	}
	EXPECT_GT(0, r->error)
		TH_LOG("%s: accepted, expected an error", what);
	if (r->error < 0 && err1) {
		EXPECT_TRUE(-r->error == err1 || -r->error == err2)
			TH_LOG("%s: rejected with %s, expected %s%s%s", what,
			       errno_name(r->error), errno_name(err1),
			       err2 ? " or " : "", err2 ? errno_name(err2) : "");
	}
	if (r->error < 0) {
		EXPECT_TRUE(r->has_msg && r->msg[0] != '\0')
			TH_LOG("%s: rejected with %s but without an extack message",
			       what, errno_name(r->error));
	}
	EXPECT_EQ(0, r->n_data)
		TH_LOG("%s: %d reply messages besides the error", what,
		       r->n_data);
	free(r);

	STATUS_OK(&after);
	EXPECT_EQ(before.handshake_timeout_ms, after.handshake_timeout_ms)
		TH_LOG("%s: handshake timeout changed from %u to %u", what,
		       before.handshake_timeout_ms, after.handshake_timeout_ms);
	EXPECT_EQ(before.config_changes, after.config_changes)
		TH_LOG("%s: config-changes moved from %llu to %llu", what,
		       (unsigned long long)before.config_changes,
		       (unsigned long long)after.config_changes);
}

/* Send m and expect exactly the error err (no extack required: the generic
 * netlink core rejects these before the module sees them).
 */
static void check_core_error(struct __test_metadata *_metadata,
			     FIXTURE_DATA(kmtls) *self, const struct nl_msg *m,
			     const char *what, int err)
{
	struct nl_reply *r;
	int ret;

	r = malloc(sizeof(*r));
	ASSERT_TRUE(r != NULL);
	ret = nl_transact(&self->sk, m, r);
	if (ret) {
		free(r);
		ASSERT_EQ(0, ret) TH_LOG("%s: no answer from the kernel: %s",
					 what, strerror(-ret));
	}
	EXPECT_EQ(-err, r->error)
		TH_LOG("%s: answered %s, expected %s", what,
		       errno_name(r->error), errno_name(err));
	EXPECT_EQ(0, r->n_data)
		TH_LOG("%s: %d reply messages besides the error", what,
		       r->n_data);
	free(r);
}

/* (a) The family resolves, with its version and its two operations. */
TEST_F(kmtls, family_registered)
{
	struct genl_family_info fi;
	int i, j, get = -1, set = -1, ret;

	ret = genl_resolve(&self->sk, KMTLS_FAMILY_NAME, &fi);
	ASSERT_EQ(0, ret) TH_LOG("CTRL_CMD_GETFAMILY: %s", errno_name(ret));
	EXPECT_EQ(self->family, fi.id);
	EXPECT_NE(0, fi.id);
	EXPECT_STREQ(KMTLS_FAMILY_NAME, fi.name);
	ASSERT_TRUE(fi.has_version) TH_LOG("no CTRL_ATTR_VERSION");
	EXPECT_EQ((__u32)KMTLS_FAMILY_VERSION, fi.version);
	EXPECT_EQ(0U, fi.hdrsize) TH_LOG("the family has no fixed header");

	ASSERT_FALSE(fi.ops_malformed) TH_LOG("CTRL_ATTR_OPS does not parse");
	ASSERT_LT(0, fi.n_ops) TH_LOG("no CTRL_ATTR_OPS");
	for (i = 0; i < fi.n_ops; i++) {
		EXPECT_TRUE(fi.ops[i].has_flags)
			TH_LOG("op %u has no CTRL_ATTR_OP_FLAGS", fi.ops[i].id);
		EXPECT_TRUE(fi.ops[i].id >= 1 && fi.ops[i].id <= KMTLS_CMD_MAX)
			TH_LOG("op %u is not in linux/kmtls.h", fi.ops[i].id);
		for (j = 0; j < i; j++)
			EXPECT_NE(fi.ops[j].id, fi.ops[i].id)
				TH_LOG("op %u listed twice", fi.ops[i].id);
		if (fi.ops[i].id == KMTLS_CMD_GET_STATUS)
			get = i;
		if (fi.ops[i].id == KMTLS_CMD_SET_CONFIG)
			set = i;
	}

	ASSERT_LE(0, get) TH_LOG("GET_STATUS not among the family's ops");
	EXPECT_TRUE(!!(fi.ops[get].flags & GENL_CMD_CAP_DO))
		TH_LOG("get-status has no doit (flags 0x%x)", fi.ops[get].flags);
	EXPECT_EQ(0U, fi.ops[get].flags & (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM))
		TH_LOG("get-status must be open to every user (flags 0x%x)",
		       fi.ops[get].flags);

	ASSERT_LE(0, set) TH_LOG("SET_CONFIG not among the family's ops");
	EXPECT_TRUE(!!(fi.ops[set].flags & GENL_CMD_CAP_DO))
		TH_LOG("set-config has no doit (flags 0x%x)", fi.ops[set].flags);
	EXPECT_TRUE(!!(fi.ops[set].flags & GENL_ADMIN_PERM))
		TH_LOG("set-config is not GENL_ADMIN_PERM (flags 0x%x)",
		       fi.ops[set].flags);
	EXPECT_TRUE(!!(fi.ops[set].flags & GENL_CMD_CAP_HASPOL))
		TH_LOG("set-config has no attribute policy (flags 0x%x)",
		       fi.ops[set].flags);
}

static void read_sysfs_version(struct __test_metadata *_metadata,
			       char *buf, size_t len)
{
	FILE *f = fopen(SYSFS_VERSION, "r");
	size_t n;

	ASSERT_TRUE(f != NULL)
		TH_LOG("cannot open %s: %s", SYSFS_VERSION, strerror(errno));
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
}

/* (b) get-status answers with every attribute and the expected values. */
TEST_F(kmtls, get_status_reply)
{
	struct kmtls_status st;
	char sysfs[128];

	STATUS_OK(&st);
	read_sysfs_version(_metadata, sysfs, sizeof(sysfs));
	EXPECT_LT((size_t)0, strlen(st.version)) TH_LOG("empty version string");
	EXPECT_STREQ(sysfs, st.version);
	EXPECT_EQ(0, st.daemon_attached)
		TH_LOG("no handshake daemon runs in the test VM");
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS, st.handshake_timeout_ms);
}

/* (c) set-config changes the setting and counts the change. */
TEST_F(kmtls, set_config_roundtrip)
{
	struct kmtls_status before, st;

	STATUS_OK(&before);
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS, before.handshake_timeout_ms);

	SET_TIMEOUT_OK(5000);
	STATUS_OK(&st);
	EXPECT_EQ(5000U, st.handshake_timeout_ms);
	EXPECT_EQ(before.config_changes + 1, st.config_changes);

	SET_TIMEOUT_OK(KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS);
	STATUS_OK(&st);
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS, st.handshake_timeout_ms);
	EXPECT_EQ(before.config_changes + 2, st.config_changes);
	self->touched = false;
}

/* (c) The bounds of the range themselves are accepted. */
TEST_F(kmtls, set_config_bounds)
{
	struct kmtls_status before, st;

	STATUS_OK(&before);

	SET_TIMEOUT_OK(KMTLS_HANDSHAKE_TIMEOUT_MIN_MS);
	STATUS_OK(&st);
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_MIN_MS, st.handshake_timeout_ms);

	SET_TIMEOUT_OK(KMTLS_HANDSHAKE_TIMEOUT_MAX_MS);
	STATUS_OK(&st);
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_MAX_MS, st.handshake_timeout_ms);

	SET_TIMEOUT_OK(KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS);
	STATUS_OK(&st);
	EXPECT_EQ((__u32)KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS, st.handshake_timeout_ms);
	EXPECT_EQ(before.config_changes + 3, st.config_changes);
	self->touched = false;
}

/* (d) Values outside 100..600000. */
TEST_F(kmtls, set_config_out_of_range)
{
	static const __u32 bad[] = {
		KMTLS_HANDSHAKE_TIMEOUT_MIN_MS - 1,
		KMTLS_HANDSHAKE_TIMEOUT_MAX_MS + 1,
		0,
		0xffffffffu,
	};
	char what[64];
	struct nl_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		kmtls_build_set_timeout(&self->sk, &m, self->family, bad[i]);
		snprintf(what, sizeof(what), "handshake-timeout-ms %u", bad[i]);
		check_rejected(_metadata, self, &m, what, ERANGE, EINVAL);
	}
}

/* (d) The u32 attribute with a payload of the wrong size. */
TEST_F(kmtls, set_config_bad_length)
{
	static const size_t lens[] = { 0, 1, 2, 3, 5, 8 };
	unsigned char payload[8];
	__u64 v64 = 5000;
	__u16 v16 = 5000;
	char what[64];
	struct nl_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		/* Little-endian 5000 for every prefix length: a lax parser
		 * reading 4 bytes of the u64 would set 5000.
		 */
		memset(payload, 0, sizeof(payload));
		if (lens[i] == 2)
			memcpy(payload, &v16, sizeof(v16));
		else
			memcpy(payload, &v64, sizeof(v64));
		genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
			 KMTLS_FAMILY_VERSION);
		nlm_put_attr(&m, KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, payload,
			     lens[i]);
		snprintf(what, sizeof(what), "handshake-timeout-ms with %zu bytes",
			 lens[i]);
		check_rejected(_metadata, self, &m, what, EINVAL, ERANGE);
	}
}

/* (d) Attribute types set-config does not know, alone or with a valid one. */
TEST_F(kmtls, set_config_unknown_attr)
{
	static const __u16 types[] = { 0, 2, 200, (__u16)NLA_TYPE_MASK };
	char what[96];
	struct nl_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
			 KMTLS_FAMILY_VERSION);
		nlm_put_u32(&m, types[i], 5000);
		snprintf(what, sizeof(what), "attribute type %u", types[i]);
		check_rejected(_metadata, self, &m, what, EINVAL, ERANGE);

		/* The valid attribute must not be applied either. */
		kmtls_build_set_timeout(&self->sk, &m, self->family, 5000);
		nlm_put_u32(&m, types[i], 5000);
		snprintf(what, sizeof(what),
			 "valid handshake-timeout-ms plus attribute type %u",
			 types[i]);
		check_rejected(_metadata, self, &m, what, EINVAL, ERANGE);
	}
}

/* (d) Nested attributes where set-config expects a plain u32. */
TEST_F(kmtls, set_config_nested_junk)
{
	static const unsigned char junk[] = {
		0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff, 0xff,
	};
	struct nlattr *nest;
	struct nl_msg m;

	/* NLA_F_NESTED | handshake-timeout-ms holding a well-formed attribute. */
	genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
		 KMTLS_FAMILY_VERSION);
	nest = nlm_nest_start(&m, NLA_F_NESTED | KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS);
	nlm_put_u32(&m, KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, 5000);
	nlm_nest_end(&m, nest);
	check_rejected(_metadata, self, &m,
		       "nested handshake-timeout-ms holding an attribute",
		       EINVAL, ERANGE);

	/* NLA_F_NESTED on a 4-byte payload: only the flag is wrong. */
	genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
		 KMTLS_FAMILY_VERSION);
	nlm_put_u32(&m, NLA_F_NESTED | KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, 5000);
	check_rejected(_metadata, self, &m,
		       "handshake-timeout-ms u32 flagged NLA_F_NESTED",
		       EINVAL, ERANGE);

	/* A nest of an unknown type full of garbage. */
	genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
		 KMTLS_FAMILY_VERSION);
	nlm_put_attr(&m, NLA_F_NESTED | 3, junk, sizeof(junk));
	check_rejected(_metadata, self, &m, "nested garbage of type 3",
		       EINVAL, ERANGE);

	/* A valid attribute followed by a nest of garbage. */
	kmtls_build_set_timeout(&self->sk, &m, self->family, 5000);
	nest = nlm_nest_start(&m, NLA_F_NESTED | 2);
	nlm_put_attr(&m, 1, junk, sizeof(junk));
	nlm_put_attr(&m, 0x7ff, junk, 3);
	nlm_nest_end(&m, nest);
	check_rejected(_metadata, self, &m,
		       "valid handshake-timeout-ms plus a nest of type 2",
		       EINVAL, ERANGE);
}

/* (d) Attribute streams that do not parse. */
TEST_F(kmtls, set_config_malformed_attrs)
{
	static const __u16 lies[] = { 0, 2, 3, 9, 64, 0xffff };
	struct nlattr *a;
	char what[64];
	struct nl_msg m;
	size_t i;

	/* A valid attribute, then 2 stray bytes. */
	kmtls_build_set_timeout(&self->sk, &m, self->family, 5000);
	nlm_put_raw(&m, "\x01\x02", 2);
	check_rejected(_metadata, self, &m,
		       "valid handshake-timeout-ms plus 2 trailing bytes",
		       EINVAL, ERANGE);

	/* nla_len below the header or beyond the end of the message. */
	for (i = 0; i < ARRAY_SIZE(lies); i++) {
		genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
			 KMTLS_FAMILY_VERSION);
		a = nlm_put_u32(&m, KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, 5000);
		a->nla_len = lies[i];
		snprintf(what, sizeof(what), "handshake-timeout-ms with nla_len %u",
			 lies[i]);
		check_rejected(_metadata, self, &m, what, EINVAL, ERANGE);
	}
}

/* (d) set-config without any attribute. */
TEST_F(kmtls, set_config_empty)
{
	struct nl_msg m;

	genl_req(&self->sk, &m, self->family, KMTLS_CMD_SET_CONFIG,
		 KMTLS_FAMILY_VERSION);
	check_rejected(_metadata, self, &m, "set-config without attributes",
		       EINVAL, 0);
}

/* (d) get-status takes no attributes at all. */
TEST_F(kmtls, get_status_with_attr)
{
	struct nl_msg m;

	genl_req(&self->sk, &m, self->family, KMTLS_CMD_GET_STATUS,
		 KMTLS_FAMILY_VERSION);
	nlm_put_u32(&m, KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS, 5000);
	check_rejected(_metadata, self, &m,
		       "get-status with handshake-timeout-ms", EINVAL, ERANGE);

	genl_req(&self->sk, &m, self->family, KMTLS_CMD_GET_STATUS,
		 KMTLS_FAMILY_VERSION);
	nlm_put_strz(&m, KMTLS_A_STATUS_VERSION, "0.0.0");
	check_rejected(_metadata, self, &m, "get-status with version",
		       EINVAL, ERANGE);

	genl_req(&self->sk, &m, self->family, KMTLS_CMD_GET_STATUS,
		 KMTLS_FAMILY_VERSION);
	nlm_put_u32(&m, 200, 1);
	check_rejected(_metadata, self, &m, "get-status with attribute type 200",
		       EINVAL, ERANGE);
}

/* In a forked child: as nobody without capabilities, set-config must fail
 * with EPERM and get-status must work.  Exit code 0 when all held.
 */
static int unprivileged_child(__u16 family)
{
	struct kmtls_status st;
	struct nl_reply *r;
	struct nl_sock s;
	struct nl_msg m;
	char why[WHYLEN];
	int ret;

	if (become_nobody(why, sizeof(why))) {
		fprintf(stderr, "# unprivileged child: %s\n", why);
		return 10;
	}
	/* Opened after the drop: the socket's credentials are nobody's too. */
	ret = nl_open(&s, 2000);
	if (ret) {
		fprintf(stderr, "# unprivileged child: socket: %s\n",
			strerror(-ret));
		return 11;
	}
	r = malloc(sizeof(*r));
	if (!r)
		return 12;

	kmtls_build_set_timeout(&s, &m, family, 5000);
	ret = nl_transact(&s, &m, r);
	if (ret) {
		fprintf(stderr, "# unprivileged set-config: no answer: %s\n",
			strerror(-ret));
		return 13;
	}
	if (r->error != -EPERM) {
		fprintf(stderr, "# unprivileged set-config: answered %s (extack \"%s\"), expected EPERM\n",
			errno_name(r->error), r->msg);
		return 14;
	}

	ret = kmtls_get_status(&s, family, &st, why, sizeof(why));
	if (ret) {
		fprintf(stderr, "# unprivileged get-status: %s\n", why);
		return 15;
	}
	if (st.handshake_timeout_ms != KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS) {
		fprintf(stderr, "# unprivileged get-status: handshake timeout %u, expected %u\n",
			st.handshake_timeout_ms,
			KMTLS_HANDSHAKE_TIMEOUT_DEFAULT_MS);
		return 16;
	}
	free(r);
	nl_close(&s);
	return 0;
}

/* (e) set-config needs CAP_NET_ADMIN; get-status is open to everybody. */
TEST_F(kmtls, unprivileged)
{
	struct kmtls_status before, after;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to become nobody");
	self->touched = true;
	STATUS_OK(&before);

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(unprivileged_child(self->family));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("unprivileged child died (status 0x%x)", status);
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("unprivileged child failed (see above)");

	STATUS_OK(&after);
	EXPECT_EQ(before.handshake_timeout_ms, after.handshake_timeout_ms);
	EXPECT_EQ(before.config_changes, after.config_changes);
}

/* In a forked child: in a new network namespace "kmtls" is unknown while
 * nlctrl still resolves, and the init namespace's family id answers ENOENT.
 */
static int netns_child(__u16 family)
{
	struct nl_reply *r;
	struct nl_sock s;
	struct nl_msg m;
	int ret;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return CHILD_SKIP;
	}
	ret = nl_open(&s, 2000);
	if (ret) {
		fprintf(stderr, "# netns child: socket: %s\n", strerror(-ret));
		return 10;
	}
	ret = genl_resolve(&s, "nlctrl", NULL);
	if (ret) {
		fprintf(stderr, "# netns child: even nlctrl does not resolve: %s\n",
			errno_name(ret));
		return 11;
	}
	ret = genl_resolve(&s, KMTLS_FAMILY_NAME, NULL);
	if (ret != -ENOENT) {
		fprintf(stderr, "# netns child: resolving %s answered %s, expected ENOENT\n",
			KMTLS_FAMILY_NAME, errno_name(ret));
		return 12;
	}

	r = malloc(sizeof(*r));
	if (!r)
		return 13;
	genl_req(&s, &m, family, KMTLS_CMD_GET_STATUS, KMTLS_FAMILY_VERSION);
	ret = nl_transact(&s, &m, r);
	if (ret) {
		fprintf(stderr, "# netns child: get-status: no answer: %s\n",
			strerror(-ret));
		return 14;
	}
	if (r->error != -ENOENT || r->n_data) {
		fprintf(stderr, "# netns child: get-status to family id %u answered %s with %d messages, expected ENOENT\n",
			family, errno_name(r->error), r->n_data);
		return 15;
	}
	free(r);
	nl_close(&s);
	return 0;
}

/* (f) The family lives in the initial network namespace only. */
TEST_F(kmtls, netns_invisible)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(netns_child(self->family));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("netns child died (status 0x%x)", status);
	if (WEXITSTATUS(status) == CHILD_SKIP)
		SKIP(return, "cannot create a network namespace");
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("netns child failed (see above)");
}

/* (g) Commands the family does not have. */
TEST_F(kmtls, unknown_cmd)
{
	static const __u8 cmds[] = { 0, KMTLS_CMD_MAX + 1, 99, 255 };
	char what[64];
	struct nl_msg m;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		genl_req(&self->sk, &m, self->family, cmds[i],
			 KMTLS_FAMILY_VERSION);
		snprintf(what, sizeof(what), "command %u", cmds[i]);
		check_core_error(_metadata, self, &m, what, EOPNOTSUPP);
	}
}

/* (g) get-status is a "do" operation only: a dump request is refused. */
TEST_F(kmtls, get_status_dump)
{
	struct nl_msg m;

	nlm_init(&m, self->family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
		 ++self->sk.seq);
	nlm_put_genlhdr(&m, KMTLS_CMD_GET_STATUS, KMTLS_FAMILY_VERSION);
	check_core_error(_metadata, self, &m, "get-status dump", EOPNOTSUPP);
}

TEST_HARNESS_MAIN
