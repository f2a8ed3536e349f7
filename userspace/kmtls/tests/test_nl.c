// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: the netlink library's reply handling, on netlink buffers
 * crafted here: good replies, ACKs, errors with and without extack, and
 * truncated or malformed messages.  Every buffer is handed over in a heap
 * copy of exactly its length, so the sanitizer build catches any read past
 * the end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "kmtls.h"
#include "kmtls_nl.h"
#include "tap.h"

#define FAMILY	0x1234
#define SEQ	4242
#define PORTID	777

struct msgbuf {
	uint8_t b[4096] __attribute__((aligned(8)));
	size_t len;
};

static struct nlmsghdr *msg_begin(struct msgbuf *m, uint16_t type,
				  uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->b + m->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static void msg_end(struct msgbuf *m, struct nlmsghdr *nlh)
{
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void genl_hdr(struct nlmsghdr *nlh, uint8_t cmd)
{
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = KMTLS_FAMILY_VERSION;
}

/* The request: set-config with one attribute, like the CLI sends. */
static struct msgbuf req_buf;

static const struct nlmsghdr *request(void)
{
	struct nlmsghdr *nlh;

	memset(&req_buf, 0, sizeof(req_buf));
	nlh = msg_begin(&req_buf, FAMILY, NLM_F_REQUEST | NLM_F_ACK, SEQ);
	nlh->nlmsg_pid = 0;
	genl_hdr(nlh, KMTLS_CMD_SET_CONFIG);
	mnl_attr_put_u32(nlh, KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, 50);
	msg_end(&req_buf, nlh);
	return nlh;
}

/* Offset of the request's first attribute. */
#define REQ_ATTR_OFF	(NLMSG_HDRLEN + GENL_HDRLEN)

enum { NO_SKIP = 0 };

/*
 * A get-status reply as the kernel builds it: a pad attribute before each
 * u64 when pad is set; attribute "skip" left out.
 */
static struct nlmsghdr *put_status(struct msgbuf *m, uint16_t skip, bool pad)
{
	struct nlmsghdr *nlh = msg_begin(m, FAMILY, 0, SEQ);

	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	if (skip != KMTLS_A_STATUS_VERSION)
		mnl_attr_put_strz(nlh, KMTLS_A_STATUS_VERSION, "0.1.0");
	if (skip != KMTLS_A_STATUS_DAEMON_ATTACHED)
		mnl_attr_put_u8(nlh, KMTLS_A_STATUS_DAEMON_ATTACHED, 1);
	if (skip != KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS)
		mnl_attr_put_u32(nlh, KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS,
				 10000);
	if (skip != KMTLS_A_STATUS_FLOWS)
		mnl_attr_put_u32(nlh, KMTLS_A_STATUS_FLOWS, 3);
	if (pad)
		mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	if (skip != KMTLS_A_STATUS_HANDSHAKES)
		mnl_attr_put_u64(nlh, KMTLS_A_STATUS_HANDSHAKES,
				 (1ULL << 40) + 5);
	if (pad)
		mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	if (skip != KMTLS_A_STATUS_HANDSHAKES_FAILED)
		mnl_attr_put_u64(nlh, KMTLS_A_STATUS_HANDSHAKES_FAILED, 2);
	if (pad)
		mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	if (skip != KMTLS_A_STATUS_CONFIG_CHANGES)
		mnl_attr_put_u64(nlh, KMTLS_A_STATUS_CONFIG_CHANGES,
				 UINT64_MAX);
	if (skip != KMTLS_A_STATUS_REFUSED_NO_DAEMON)
		mnl_attr_put_u64(nlh, KMTLS_A_STATUS_REFUSED_NO_DAEMON, 7);
	msg_end(m, nlh);
	return nlh;
}

/* A status reply with one raw attribute appended (any length). */
static struct nlmsghdr *put_status_plus(struct msgbuf *m, uint16_t type,
					const void *data, uint16_t len)
{
	struct nlmsghdr *nlh = put_status(m, NO_SKIP, false);

	m->len -= NLMSG_ALIGN(nlh->nlmsg_len);
	mnl_attr_put(nlh, type, len, data);
	msg_end(m, nlh);
	return nlh;
}

/* Extack for an error message; 0/NULL leave an attribute out. */
struct extack {
	const char *msg;
	bool has_off;
	uint32_t off;
};

static void put_error(struct msgbuf *m, const struct nlmsghdr *req, int error,
		      bool capped, const struct extack *ext)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	size_t copy = capped ? 0 : req->nlmsg_len - NLMSG_HDRLEN;
	uint16_t flags = capped ? NLM_F_CAPPED : 0;

	if (ext)
		flags |= NLM_F_ACK_TLVS;
	nlh = msg_begin(m, NLMSG_ERROR, flags, req->nlmsg_seq);
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e) + NLMSG_ALIGN(copy));
	e->error = error;
	memcpy(&e->msg, req, sizeof(*req));
	memcpy(e + 1, (const uint8_t *)req + NLMSG_HDRLEN, copy);
	if (ext && ext->msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, ext->msg);
	if (ext && ext->has_off)
		mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, ext->off);
	msg_end(m, nlh);
}

static void put_ack(struct msgbuf *m, const struct nlmsghdr *req)
{
	put_error(m, req, 0, true, NULL);
}

/* Process m[0..len) from an exact-size heap copy. */
static int process(const struct msgbuf *m, size_t len,
		   const struct nlmsghdr *req,
		   const struct kmtls_nl_reply *reply,
		   struct kmtls_nl_err *err)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	memcpy(copy, m->b, len);
	ret = kmtls_nl_process(copy, len, req, PORTID, reply, err);
	free(copy);
	return ret;
}

/* Decode m into st through the CLI's status reply definition. */
static int process_status(const struct msgbuf *m, size_t len,
			  struct kmtls_status *st, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[KMTLS_A_STATUS_MAX + 1];
	struct kmtls_nl_reply reply;

	memset(st, 0, sizeof(*st));
	status_reply_init(&reply, tb, st);
	return process(m, len, request(), &reply, err);
}

static bool has(const struct kmtls_nl_err *err, const char *text)
{
	return strstr(err->msg, text) != NULL;
}

static void test_good(void)
{
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	int ret;

	put_status(&m, NO_SKIP, true);
	put_ack(&m, request());
	ret = process_status(&m, m.len, &st, &err);
	is_int(ret, 0, "reply + ACK: done");
	is_str(st.version, "0.1.0", "reply: version");
	ok(st.received, "reply: marked received");
	ok(st.daemon_attached && st.handshake_timeout_ms == 10000 &&
	   st.flows == 3, "reply: u8 and u32 attributes");
	ok(st.handshakes == (1ULL << 40) + 5 && st.handshakes_failed == 2 &&
	   st.config_changes == UINT64_MAX && st.refused_no_daemon == 7,
	   "reply: u64 attributes");
	is_int(err.err, 0, "reply + ACK: no error");

	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	ret = process_status(&m, m.len, &st, &err);
	is_int(ret, 1, "reply without ACK: wants more");
	ok(st.flows == 3, "reply without pads decodes");

	memset(&m, 0, sizeof(m));
	put_ack(&m, request());
	ret = process_status(&m, m.len, &st, &err);
	is_int(ret, 0, "ACK alone: done");

	ret = process_status(&m, 0, &st, &err);
	is_int(ret, 1, "empty buffer: wants more");
}

static void test_reply_null(void)
{
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };

	put_status(&m, NO_SKIP, false);
	put_ack(&m, request());
	is_int(process(&m, m.len, request(), NULL, &err), 0,
	       "reply skipped when the caller expects only an ACK");
}

static void test_malformed_attrs(void)
{
	static const uint16_t required[] = {
		KMTLS_A_STATUS_VERSION, KMTLS_A_STATUS_DAEMON_ATTACHED,
		KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS, KMTLS_A_STATUS_FLOWS,
		KMTLS_A_STATUS_HANDSHAKES, KMTLS_A_STATUS_HANDSHAKES_FAILED,
		KMTLS_A_STATUS_CONFIG_CHANGES, KMTLS_A_STATUS_REFUSED_NO_DAEMON,
	};
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf m;
	struct nlmsghdr *nlh;
	struct nlattr *a;
	uint8_t junk[16] = { 0 };
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		memset(&m, 0, sizeof(m));
		put_status(&m, required[i], true);
		put_ack(&m, request());
		ret = process_status(&m, m.len, &st, &err);
		ok(ret == -EBADMSG && has(&err, "missing"),
		   "missing required attribute %u rejected", required[i]);
	}

	memset(&m, 0, sizeof(m));
	put_status_plus(&m, 200, junk, 7);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == 1 && st.flows == 3, "unknown attribute type ignored");

	memset(&m, 0, sizeof(m));
	put_status_plus(&m, KMTLS_A_STATUS_FLOWS, junk, 4);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "flows appears twice"),
	   "duplicate attribute rejected");

	/* Wrong sizes: replace the whole message each time. */
	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	mnl_attr_put_u16(nlh, KMTLS_A_STATUS_FLOWS, 3);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "flows has a bad size"),
	   "u32 attribute with 2 bytes rejected");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	mnl_attr_put_u32(nlh, KMTLS_A_STATUS_HANDSHAKES, 3);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG, "u64 attribute with 4 bytes rejected");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	mnl_attr_put_u16(nlh, KMTLS_A_STATUS_DAEMON_ATTACHED, 1);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG, "u8 attribute with 2 bytes rejected");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	mnl_attr_put(nlh, KMTLS_A_STATUS_VERSION, 5, "0.1.0");
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "version"),
	   "string without NUL rejected");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	genl_hdr(nlh, KMTLS_CMD_GET_STATUS);
	mnl_attr_put(nlh, KMTLS_A_STATUS_VERSION, 0, NULL);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG, "empty string attribute rejected");

	/* Attribute length past the end of the message. */
	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	nlh = (struct nlmsghdr *)m.b;
	a = (struct nlattr *)(m.b + REQ_ATTR_OFF);
	a->nla_len = 200;
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "overruns"),
	   "attribute longer than the message rejected");

	/* Attribute length below the header size. */
	a->nla_len = 3;
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG, "attribute shorter than its header rejected");

	/* Stray bytes after the last attribute, inside the message. */
	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	nlh = (struct nlmsghdr *)m.b;
	nlh->nlmsg_len += 2;
	m.len = NLMSG_ALIGN(nlh->nlmsg_len);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "stray"),
	   "stray bytes after the attributes rejected");

	/* No generic netlink header. */
	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY, 0, SEQ);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "generic netlink header"),
	   "message without genl header rejected");
}

/* The policy's attributes: decoded when present, optional. */
static void test_policy_status(void)
{
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf m;
	struct nlmsghdr *nlh;
	int ret;

	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, true);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == 1 && !st.has_policy_default && !st.has_policy_denied &&
	   !st.has_policy_would_deny,
	   "status from a module without the policy: accepted, no policy fields");

	memset(&m, 0, sizeof(m));
	nlh = put_status(&m, NO_SKIP, true);
	m.len -= NLMSG_ALIGN(nlh->nlmsg_len);
	mnl_attr_put_u8(nlh, KMTLS_A_STATUS_POLICY_DEFAULT, KMTLS_ACTION_DENY);
	mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, KMTLS_A_STATUS_POLICY_DENIED, 11);
	mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, KMTLS_A_STATUS_POLICY_WOULD_DENY, UINT64_MAX);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == 1 && st.has_policy_default && st.policy_default == 2 &&
	   st.has_policy_denied && st.policy_denied == 11 &&
	   st.has_policy_would_deny && st.policy_would_deny == UINT64_MAX,
	   "status with policy-default, policy-denied, policy-would-deny");

	ok(!st.has_policy_rules && !st.has_policy_reset &&
	   !st.has_plaintext_admitted,
	   "  ... and no rules, resets or plaintext counters");

	memset(&m, 0, sizeof(m));
	nlh = put_status(&m, NO_SKIP, true);
	m.len -= NLMSG_ALIGN(nlh->nlmsg_len);
	mnl_attr_put_u32(nlh, KMTLS_A_STATUS_POLICY_RULES, 100000);
	mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, KMTLS_A_STATUS_POLICY_RESET, 3);
	mnl_attr_put(nlh, KMTLS_A_STATUS_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, KMTLS_A_STATUS_PLAINTEXT_ADMITTED, UINT64_MAX);
	msg_end(&m, nlh);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == 1 && st.has_policy_rules && st.policy_rules == 100000 &&
	   st.has_policy_reset && st.policy_reset == 3 &&
	   st.has_plaintext_admitted && st.plaintext_admitted == UINT64_MAX,
	   "status with policy-rules, policy-reset, plaintext-admitted");

	memset(&m, 0, sizeof(m));
	put_status_plus(&m, KMTLS_A_STATUS_POLICY_RULES, "\1\0\0\0\0\0\0\0", 8);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "policy-rules has a bad size"),
	   "an eight-byte policy-rules rejected");
	memset(&m, 0, sizeof(m));
	put_status_plus(&m, KMTLS_A_STATUS_PLAINTEXT_ADMITTED, "\1\0\0\0", 4);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "plaintext-admitted has a bad size"),
	   "a four-byte plaintext-admitted rejected");

	memset(&m, 0, sizeof(m));
	put_status_plus(&m, KMTLS_A_STATUS_POLICY_DEFAULT, "\1\0", 2);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "policy-default has a bad size"),
	   "a two-byte policy-default rejected");
	memset(&m, 0, sizeof(m));
	put_status_plus(&m, KMTLS_A_STATUS_POLICY_DENIED, "\1\0\0\0", 4);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "policy-denied has a bad size"),
	   "a four-byte policy-denied rejected");
}

static void test_last_attr_unpadded(void)
{
	static const struct kmtls_nl_policy pol[3] = {
		[1] = { KMTLS_NL_U8, true, "a" },
		[2] = { KMTLS_NL_STRING, true, "b" },
	};
	const struct nlattr *tb[3];
	struct kmtls_nl_err err;
	uint8_t buf[16] __attribute__((aligned(4))) = {
		8, 0, 2, 0, 'h', 'i', 0, 0,	/* "hi" */
		5, 0, 1, 0, 42,			/* u8, no padding */
	};
	uint8_t *copy = malloc(13);
	int ret;

	memcpy(copy, buf, 13);
	ret = kmtls_nl_parse_attrs(copy, 13, pol, 2, tb, &err);
	ok(ret == 0 && tb[1] && mnl_attr_get_u8(tb[1]) == 42 && tb[2],
	   "last attribute without padding accepted");
	ret = kmtls_nl_parse_attrs(copy, 12, pol, 2, tb, &err);
	ok(ret == -EBADMSG, "last attribute cut short rejected");
	ret = kmtls_nl_parse_attrs(copy, 8, pol, 2, tb, &err);
	ok(ret == -EBADMSG && has(&err, "a missing"),
	   "required attribute missing in a stream");
	free(copy);
}

static void test_truncated(void)
{
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf m = { 0 };
	size_t full, first, len;
	bool all_ok = true;
	int ret;

	put_status(&m, NO_SKIP, true);
	first = m.len;
	put_ack(&m, request());
	full = m.len;

	/*
	 * Cut anywhere inside the first message: it is incomplete, never
	 * delivered.  Cut inside the ACK: the reply was delivered but the
	 * rest is broken.  Only cuts at message boundaries are clean.
	 */
	for (len = 1; len < full; len++) {
		ret = process_status(&m, len, &st, &err);
		if (len == first ? ret != 1 : ret != -EBADMSG) {
			printf("#   cut at %zu: ret %d\n", len, ret);
			all_ok = false;
		}
	}
	ok(all_ok, "every truncation of reply + ACK is caught");

	/* Message length larger than the buffer. */
	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	((struct nlmsghdr *)m.b)->nlmsg_len += 64;
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG && has(&err, "truncated"),
	   "message longer than the buffer rejected");

	/* Message length below the header size. */
	((struct nlmsghdr *)m.b)->nlmsg_len = 8;
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == -EBADMSG, "message shorter than its header rejected");
}

static void test_errors(void)
{
	const struct nlmsghdr *req = request();
	struct kmtls_nl_err err;
	struct msgbuf m;
	struct extack ext = {
		.msg = "handshake timeout out of range",
		.has_off = true,
		.off = REQ_ATTR_OFF,
	};
	int ret;

	memset(&m, 0, sizeof(m));
	put_error(&m, req, -ERANGE, true, &ext);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -ERANGE && err.err == -ERANGE, "capped error: errno");
	is_str(err.msg, ext.msg, "capped error: extack message");
	ok(err.kernel_msg && err.has_bad_attr &&
	   err.bad_attr_off == REQ_ATTR_OFF &&
	   err.bad_attr_type == KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS,
	   "capped error: bad attribute named");

	memset(&m, 0, sizeof(m));
	put_error(&m, req, -ERANGE, false, &ext);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -ERANGE && strcmp(err.msg, ext.msg) == 0 &&
	   err.bad_attr_type == KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS,
	   "uncapped error (request copied back): extack found");

	memset(&m, 0, sizeof(m));
	put_error(&m, req, -EPERM, true, NULL);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EPERM && err.msg[0] == '\0' && !err.kernel_msg &&
	   !err.has_bad_attr, "error without extack");

	memset(&m, 0, sizeof(m));
	ext.off = 9999;
	put_error(&m, req, -EINVAL, true, &ext);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EINVAL && err.has_bad_attr && err.bad_attr_off == 9999 &&
	   err.bad_attr_type == 0, "offset outside the request: no type");

	memset(&m, 0, sizeof(m));
	ext.off = REQ_ATTR_OFF + 1;
	put_error(&m, req, -EINVAL, true, &ext);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EINVAL && err.bad_attr_type == 0,
	   "unaligned offset: no type");

	memset(&m, 0, sizeof(m));
	ext = (struct extack){ .msg = "deprecated" };
	put_error(&m, req, 0, true, &ext);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == 0 && err.err == 0 && err.kernel_msg &&
	   strcmp(err.msg, "deprecated") == 0, "ACK with a warning");

	/* An extack message without its NUL: errno kept, text dropped. */
	memset(&m, 0, sizeof(m));
	{
		struct nlmsghdr *nlh;
		struct nlmsgerr *e;

		nlh = msg_begin(&m, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS,
				SEQ);
		e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
		e->error = -EINVAL;
		memcpy(&e->msg, req, sizeof(*req));
		mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 3, "bad");
		msg_end(&m, nlh);
	}
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EINVAL && err.msg[0] == '\0',
	   "malformed extack: errno kept, no text");

	/* Too short for a struct nlmsgerr. */
	memset(&m, 0, sizeof(m));
	{
		struct nlmsghdr *nlh = msg_begin(&m, NLMSG_ERROR, 0, SEQ);
		int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

		*e = -EINVAL;
		msg_end(&m, nlh);
	}
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EBADMSG, "short error message rejected");

	memset(&m, 0, sizeof(m));
	put_error(&m, req, 5, true, NULL);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EBADMSG, "positive error code rejected");

	memset(&m, 0, sizeof(m));
	put_error(&m, req, -100000, true, NULL);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EBADMSG, "error code out of errno range rejected");
}

static int fail_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		   void *data, struct kmtls_nl_err *err)
{
	(void)nlh;
	(void)tb;
	(*(int *)data)++;
	return kmtls_nl_seterr(err, -ENODATA, "callback says no");
}

static void test_flow(void)
{
	static const struct kmtls_nl_policy none[1];
	const struct nlmsghdr *req = request();
	const struct nlattr *tb[1];
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf m;
	struct nlmsghdr *nlh;
	int calls = 0, ret;
	struct kmtls_nl_reply reply = {
		.policy = none, .maxtype = 0, .tb = tb,
		.cb = fail_cb, .data = &calls,
	};

	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	put_ack(&m, req);
	ret = process(&m, m.len, req, &reply, &err);
	ok(ret == -ENODATA && calls == 1 && err.err == -ENODATA &&
	   strcmp(err.msg, "callback says no") == 0,
	   "callback error ends the request");

	/* A stale message from an earlier request is skipped. */
	memset(&m, 0, sizeof(m));
	put_error(&m, req, -EPERM, true, NULL);
	((struct nlmsghdr *)m.b)->nlmsg_seq = SEQ - 1;
	put_status(&m, NO_SKIP, false);
	put_ack(&m, req);
	ret = process_status(&m, m.len, &st, &err);
	ok(ret == 0 && st.flows == 3, "message with an old sequence skipped");

	/* From another port: skipped too. */
	memset(&m, 0, sizeof(m));
	put_error(&m, req, -EPERM, true, NULL);
	((struct nlmsghdr *)m.b)->nlmsg_pid = PORTID + 1;
	put_ack(&m, req);
	ret = process(&m, m.len, req, NULL, &err);
	is_int(ret, 0, "message for another port skipped");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, FAMILY + 1, 0, SEQ);
	genl_hdr(nlh, 1);
	msg_end(&m, nlh);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -EBADMSG && has(&err, "unexpected message type"),
	   "reply of another family rejected");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, NLMSG_NOOP, 0, SEQ);
	msg_end(&m, nlh);
	put_ack(&m, req);
	ret = process(&m, m.len, req, NULL, &err);
	is_int(ret, 0, "NOOP skipped");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, NLMSG_DONE, NLM_F_MULTI, SEQ);
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = 0;
	msg_end(&m, nlh);
	ret = process(&m, m.len, req, NULL, &err);
	is_int(ret, 0, "DONE ends a dump");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, SEQ);
	*(int *)mnl_nlmsg_put_extra_header(nlh, sizeof(int)) = -ENOBUFS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	msg_end(&m, nlh);
	ret = process(&m, m.len, req, NULL, &err);
	ok(ret == -ENOBUFS && strcmp(err.msg, "dump failed") == 0,
	   "DONE with an error and extack");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, NLMSG_DONE, NLM_F_MULTI, SEQ);
	msg_end(&m, nlh);
	ret = process(&m, m.len, req, NULL, &err);
	is_int(ret, 0, "DONE without payload");

	memset(&m, 0, sizeof(m));
	put_status(&m, NO_SKIP, false);
	((struct nlmsghdr *)m.b)->nlmsg_flags |= NLM_F_DUMP_INTR;
	ret = process_status(&m, m.len, &st, &err);
	is_int(ret, -EINTR, "interrupted dump reported");

	memset(&m, 0, sizeof(m));
	nlh = msg_begin(&m, NLMSG_OVERRUN, 0, SEQ);
	msg_end(&m, nlh);
	ret = process(&m, m.len, req, NULL, &err);
	is_int(ret, -EOVERFLOW, "overrun reported");
}

/* Random damage must never crash or read out of bounds. */
static void test_fuzz(void)
{
	struct kmtls_status st;
	struct kmtls_nl_err err;
	struct msgbuf good = { 0 }, m;
	unsigned int seed = 1, i, j;
	int ret, outcomes[3] = { 0 };

	put_status(&good, NO_SKIP, true);
	put_ack(&good, request());
	for (i = 0; i < 20000; i++) {
		m = good;
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			m.b[(seed >> 8) % good.len] = (uint8_t)(seed >> 20);
		}
		ret = process_status(&m, m.len, &st, &err);
		outcomes[ret < 0 ? 0 : ret == 0 ? 1 : 2]++;
	}
	ok(outcomes[0] > 0 && outcomes[1] > 0,
	   "20000 damaged buffers handled (%d errors, %d done, %d more)",
	   outcomes[0], outcomes[1], outcomes[2]);
}

int main(void)
{
	test_good();
	test_reply_null();
	test_malformed_attrs();
	test_policy_status();
	test_last_attr_unpadded();
	test_truncated();
	test_errors();
	test_flow();
	test_fuzz();
	return tap_done();
}
