// SPDX-License-Identifier: GPL-2.0
/*
 * kmtls_nl: client side of the kmtls generic netlink family, on libmnl.
 * See kmtls_nl.h for the API and who owns what.
 *
 * libmnl provides the socket and the message builders.  Received messages
 * are walked by hand rather than with mnl_cb_run(): we want the extack
 * attributes of error messages, replies checked against the request's
 * message type, and trailing or truncated bytes reported, not skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "kmtls_nl.h"

/* Owned by whoever called kmtls_nl_open(); freed by kmtls_nl_close(). */
struct kmtls_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	uint16_t family_id;
	uint32_t family_version;
	/* Netlink messages are read in place: keep the buffers aligned. */
	uint8_t tx[KMTLS_NL_TX_SIZE] __attribute__((aligned(8)));
	uint8_t rx[KMTLS_NL_RX_SIZE] __attribute__((aligned(8)));
};

void kmtls_nl_clearerr(struct kmtls_nl_err *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int kmtls_nl_seterr(struct kmtls_nl_err *err, int e, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return e;
	err->err = e;
	err->kernel_msg = false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return e;
}

/* ---- attribute parsing ------------------------------------------------ */

static const char *attr_name(const struct kmtls_nl_policy *policy,
			     unsigned int type, char *buf, size_t len)
{
	if (policy[type].name)
		return policy[type].name;
	snprintf(buf, len, "%u", type);
	return buf;
}

/* Is a payload of plen bytes at payload valid for type? */
static bool attr_valid(enum kmtls_nl_type type, const uint8_t *payload,
		       size_t plen)
{
	switch (type) {
	case KMTLS_NL_U8:
		return plen == sizeof(uint8_t);
	case KMTLS_NL_U16:
		return plen == sizeof(uint16_t);
	case KMTLS_NL_U32:
		return plen == sizeof(uint32_t);
	case KMTLS_NL_U64:
		return plen == sizeof(uint64_t);
	case KMTLS_NL_STRING:
		return plen >= 1 && payload[plen - 1] == '\0';
	case KMTLS_NL_FLAG:
		return plen == 0;
	case KMTLS_NL_NESTED:
		return plen == 0 || plen >= NLA_HDRLEN;
	case KMTLS_NL_BINARY:
	case KMTLS_NL_PAD:
	case KMTLS_NL_IGNORE:
		return true;
	}
	return false;
}

int kmtls_nl_parse_attrs(const void *buf, size_t len,
			 const struct kmtls_nl_policy *policy, uint16_t maxtype,
			 const struct nlattr **tb, struct kmtls_nl_err *err)
{
	const uint8_t *p = buf;
	size_t off = 0;
	char nbuf[8];
	unsigned int t;

	memset(tb, 0, ((size_t)maxtype + 1) * sizeof(*tb));

	while (len - off >= NLA_HDRLEN) {
		const struct nlattr *attr = (const void *)(p + off);
		struct nlattr hdr;

		memcpy(&hdr, attr, sizeof(hdr));
		if (hdr.nla_len < NLA_HDRLEN || hdr.nla_len > len - off)
			return kmtls_nl_seterr(err, -EBADMSG,
					       "malformed reply: attribute at offset %zu overruns the message",
					       off);
		t = hdr.nla_type & NLA_TYPE_MASK;
		if (t <= maxtype && policy[t].type != KMTLS_NL_IGNORE &&
		    policy[t].type != KMTLS_NL_PAD) {
			if (!attr_valid(policy[t].type, p + off + NLA_HDRLEN,
					hdr.nla_len - NLA_HDRLEN))
				return kmtls_nl_seterr(err, -EBADMSG,
						       "malformed reply: attribute %s has a bad size or format",
						       attr_name(policy, t, nbuf, sizeof(nbuf)));
			if (tb[t])
				return kmtls_nl_seterr(err, -EBADMSG,
						       "malformed reply: attribute %s appears twice",
						       attr_name(policy, t, nbuf, sizeof(nbuf)));
			tb[t] = attr;
		}
		/* The last attribute's padding may be missing. */
		off += NLA_ALIGN(hdr.nla_len);
		if (off > len)
			off = len;
	}
	if (off != len)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: %zu stray bytes after the attributes",
				       len - off);

	for (t = 0; t <= maxtype; t++) {
		if (policy[t].required && !tb[t])
			return kmtls_nl_seterr(err, -EBADMSG,
					       "malformed reply: attribute %s missing",
					       attr_name(policy, t, nbuf, sizeof(nbuf)));
	}
	return 0;
}

int kmtls_nl_parse_genl(const struct nlmsghdr *nlh,
			const struct kmtls_nl_policy *policy, uint16_t maxtype,
			const struct nlattr **tb, struct kmtls_nl_err *err)
{
	size_t hdrlen = NLMSG_HDRLEN + GENL_HDRLEN;

	if (nlh->nlmsg_len < hdrlen)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: no generic netlink header");
	return kmtls_nl_parse_attrs((const uint8_t *)nlh + hdrlen,
				    nlh->nlmsg_len - hdrlen, policy, maxtype,
				    tb, err);
}

/* ---- ACKs, errors and replies ----------------------------------------- */

static const struct kmtls_nl_policy extack_policy[NLMSGERR_ATTR_OFFS + 1] = {
	[NLMSGERR_ATTR_MSG] = { KMTLS_NL_STRING, false, "extack msg" },
	[NLMSGERR_ATTR_OFFS] = { KMTLS_NL_U32, false, "extack offset" },
};

/*
 * Read the extack attributes at tlvs[0..len) into err.  A malformed extack
 * costs the message text, not the error code: parse failures are ignored.
 */
static void parse_extack(const uint8_t *tlvs, size_t len,
			 const struct nlmsghdr *req, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[NLMSGERR_ATTR_OFFS + 1];
	uint32_t off;

	if (!err || kmtls_nl_parse_attrs(tlvs, len, extack_policy,
					 NLMSGERR_ATTR_OFFS, tb, NULL))
		return;

	if (tb[NLMSGERR_ATTR_MSG]) {
		snprintf(err->msg, sizeof(err->msg), "%s",
			 mnl_attr_get_str(tb[NLMSGERR_ATTR_MSG]));
		err->kernel_msg = true;
	}
	if (tb[NLMSGERR_ATTR_OFFS]) {
		off = mnl_attr_get_u32(tb[NLMSGERR_ATTR_OFFS]);
		err->has_bad_attr = true;
		err->bad_attr_off = off;
		err->bad_attr_type = 0;
		/* Name the attribute if the offset points at one of ours. */
		if (req && off >= NLMSG_HDRLEN + GENL_HDRLEN && off % NLA_ALIGNTO == 0 &&
		    off <= req->nlmsg_len &&
		    req->nlmsg_len - off >= NLA_HDRLEN) {
			const struct nlattr *a =
				(const void *)((const uint8_t *)req + off);

			err->bad_attr_type = a->nla_type & NLA_TYPE_MASK;
		}
	}
}

/*
 * NLMSG_ERROR: an ACK (error 0) or an error, maybe with extack.  The kernel
 * puts the extack after the nlmsgerr and, unless NLM_F_CAPPED, after a copy
 * of our request's payload.
 */
static int handle_error(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
			struct kmtls_nl_err *err)
{
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	const uint8_t *payload = mnl_nlmsg_get_payload(nlh);
	const struct nlmsgerr *e = (const void *)payload;
	size_t off = sizeof(*e);

	if (plen < sizeof(*e))
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: short error message");
	if (e->error > 0 || e->error < -4095)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: error code %d",
				       e->error);

	kmtls_nl_clearerr(err);
	if (err)
		err->err = e->error;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return e->error;
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_ALIGN(off);
	if (off <= plen)
		parse_extack(payload + off, plen - off, req, err);
	return e->error;
}

/* NLMSG_DONE: ends a dump; may carry an error and extack. */
static int handle_done(const struct nlmsghdr *nlh, const struct nlmsghdr *req,
		       struct kmtls_nl_err *err)
{
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	const uint8_t *payload = mnl_nlmsg_get_payload(nlh);
	size_t off = NLMSG_ALIGN(sizeof(int));
	int e = 0;

	kmtls_nl_clearerr(err);
	if (plen >= sizeof(int))
		memcpy(&e, payload, sizeof(e));
	if (e > 0 || e < -4095)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: error code %d", e);
	if (err)
		err->err = e;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off <= plen)
		parse_extack(payload + off, plen - off, req, err);
	return e;
}

static int handle_reply(const struct nlmsghdr *nlh,
			const struct kmtls_nl_reply *reply,
			struct kmtls_nl_err *err)
{
	int ret;

	if (!reply || !reply->cb)
		return 0;
	ret = kmtls_nl_parse_genl(nlh, reply->policy, reply->maxtype,
				  reply->tb, err);
	if (ret)
		return ret;
	ret = reply->cb(nlh, reply->tb, reply->data, err);
	if (ret > 0)
		ret = -ret;
	if (ret && err && !err->err)
		err->err = ret;
	return ret;
}

int kmtls_nl_next(const void *buf, size_t len, size_t *off,
		  const struct nlmsghdr **msg, struct kmtls_nl_err *err)
{
	const struct nlmsghdr *nlh;

	if (len - *off < NLMSG_HDRLEN) {
		if (*off != len)
			return kmtls_nl_seterr(err, -EBADMSG,
					       "malformed reply: truncated netlink message");
		return 0;
	}
	nlh = (const void *)((const uint8_t *)buf + *off);
	if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - *off)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: truncated netlink message");
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
	if (*off > len)
		*off = len;
	*msg = nlh;
	return 1;
}

int kmtls_nl_process(const void *buf, size_t len, const struct nlmsghdr *req,
		     uint32_t portid, const struct kmtls_nl_reply *reply,
		     struct kmtls_nl_err *err)
{
	const struct nlmsghdr *nlh = NULL;
	size_t off = 0;
	int ret;

	while ((ret = kmtls_nl_next(buf, len, &off, &nlh, err)) > 0) {
		/* Left over from an earlier request that failed midway. */
		if (nlh->nlmsg_seq != req->nlmsg_seq ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			continue;

		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return kmtls_nl_seterr(err, -EINTR,
					       "dump interrupted by a change, try again");

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			return handle_error(nlh, req, err);
		case NLMSG_DONE:
			return handle_done(nlh, req, err);
		case NLMSG_OVERRUN:
			return kmtls_nl_seterr(err, -EOVERFLOW,
					       "netlink overrun");
		}
		if (nlh->nlmsg_type != req->nlmsg_type)
			return kmtls_nl_seterr(err, -EBADMSG,
					       "malformed reply: unexpected message type %u",
					       nlh->nlmsg_type);
		ret = handle_reply(nlh, reply, err);
		if (ret)
			return ret;
	}
	return ret < 0 ? ret : 1;
}

/* ---- socket and requests ---------------------------------------------- */

static struct nlmsghdr *msg_start(struct kmtls_nl *nl, uint16_t type,
				  uint8_t cmd, uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(nl->tx);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *kmtls_nl_msg_start(struct kmtls_nl *nl, uint8_t cmd,
				    uint16_t flags)
{
	return msg_start(nl, nl->family_id, cmd, KMTLS_FAMILY_VERSION, flags);
}

int kmtls_nl_request(struct kmtls_nl *nl, struct nlmsghdr *req,
		     const struct kmtls_nl_reply *reply,
		     struct kmtls_nl_err *err)
{
	ssize_t n;
	int ret, e;

	kmtls_nl_clearerr(err);
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) {
		e = errno;
		return kmtls_nl_seterr(err, -e, "netlink send: %s",
				       strerror(e));
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->rx, sizeof(nl->rx));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			return kmtls_nl_seterr(err, -e, "netlink receive: %s",
					       strerror(e));
		}
		ret = kmtls_nl_process(nl->rx, n, req, nl->portid, reply, err);
		if (ret <= 0)
			return ret;
	}
}

struct family_info {
	bool found;
	uint16_t id;
	uint32_t version;
};

static const struct kmtls_nl_policy ctrl_policy[CTRL_ATTR_MAXATTR + 1] = {
	[CTRL_ATTR_FAMILY_ID] = { KMTLS_NL_U16, true, "family id" },
	[CTRL_ATTR_FAMILY_NAME] = { KMTLS_NL_STRING, false, "family name" },
	[CTRL_ATTR_VERSION] = { KMTLS_NL_U32, true, "family version" },
	[CTRL_ATTR_HDRSIZE] = { KMTLS_NL_U32, false, "header size" },
	[CTRL_ATTR_MAXATTR] = { KMTLS_NL_U32, false, "maxattr" },
};

static int family_cb(const struct nlmsghdr *nlh, const struct nlattr *const *tb,
		     void *data, struct kmtls_nl_err *err)
{
	struct family_info *fi = data;

	(void)nlh;
	(void)err;
	fi->found = true;
	fi->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	fi->version = mnl_attr_get_u32(tb[CTRL_ATTR_VERSION]);
	return 0;
}

static int resolve_family(struct kmtls_nl *nl, struct kmtls_nl_err *err)
{
	const struct nlattr *tb[CTRL_ATTR_MAXATTR + 1];
	struct family_info fi = { 0 };
	struct kmtls_nl_reply reply = {
		.policy = ctrl_policy,
		.maxtype = CTRL_ATTR_MAXATTR,
		.tb = tb,
		.cb = family_cb,
		.data = &fi,
	};
	struct nlmsghdr *nlh;
	int ret;

	nlh = msg_start(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KMTLS_FAMILY_NAME);

	ret = kmtls_nl_request(nl, nlh, &reply, err);
	if (ret == -ENOENT)
		return kmtls_nl_seterr(err, ret, "kmtls module not loaded");
	if (ret)
		return ret;
	if (!fi.found)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "no reply to the family lookup");
	if (fi.version != KMTLS_FAMILY_VERSION)
		return kmtls_nl_seterr(err, -EPROTONOSUPPORT,
				       "the kernel has kmtls family version %u, this program speaks %u",
				       fi.version, KMTLS_FAMILY_VERSION);
	nl->family_id = fi.id;
	nl->family_version = fi.version;
	return 0;
}

int kmtls_nl_open(struct kmtls_nl **nlp, struct kmtls_nl_err *err)
{
	struct kmtls_nl *nl;
	int one = 1;
	int ret, e;

	kmtls_nl_clearerr(err);
	*nlp = NULL;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return kmtls_nl_seterr(err, -ENOMEM, "out of memory");

	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		e = errno;
		ret = kmtls_nl_seterr(err, -e, "cannot open netlink socket: %s",
				      strerror(e));
		goto out_free;
	}
	/*
	 * Both options are best effort: without extended ACKs errors lose
	 * their text, without capped ACKs they carry a copy of the request.
	 */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));

	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		ret = kmtls_nl_seterr(err, -e, "cannot bind netlink socket: %s",
				      strerror(e));
		goto out_close;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);

	ret = resolve_family(nl, err);
	if (ret)
		goto out_close;

	*nlp = nl;
	return 0;

out_close:
	mnl_socket_close(nl->sock);
out_free:
	free(nl);
	return ret;
}

void kmtls_nl_close(struct kmtls_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

uint16_t kmtls_nl_family_id(const struct kmtls_nl *nl)
{
	return nl->family_id;
}

uint32_t kmtls_nl_family_version(const struct kmtls_nl *nl)
{
	return nl->family_version;
}

/* ---- asynchronous use ------------------------------------------------- */

int kmtls_nl_fd(const struct kmtls_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

uint32_t kmtls_nl_portid(const struct kmtls_nl *nl)
{
	return nl->portid;
}

struct nlmsghdr *kmtls_nl_msg_init(struct kmtls_nl *nl, void *buf,
				   uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = nl->family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = KMTLS_FAMILY_VERSION;
	return nlh;
}

int kmtls_nl_send(struct kmtls_nl *nl, const struct nlmsghdr *nlh,
		  struct kmtls_nl_err *err)
{
	int e;

	kmtls_nl_clearerr(err);
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		e = errno;
		return kmtls_nl_seterr(err, -e, "netlink send: %s",
				       strerror(e));
	}
	return 0;
}

int kmtls_nl_send_batch(struct kmtls_nl *nl, const void *buf, size_t len,
			struct kmtls_nl_err *err)
{
	ssize_t n;
	int e;

	kmtls_nl_clearerr(err);
	n = mnl_socket_sendto(nl->sock, buf, len);
	if (n < 0) {
		e = errno;
		return kmtls_nl_seterr(err, -e, "netlink send: %s",
				       strerror(e));
	}
	/* A netlink datagram goes whole or not at all. */
	if ((size_t)n != len)
		return kmtls_nl_seterr(err, -EIO,
				       "netlink send: %zd of %zu bytes sent",
				       n, len);
	return 0;
}

ssize_t kmtls_nl_recv(struct kmtls_nl *nl, void *buf, size_t len,
		      struct kmtls_nl_err *err)
{
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;
	int e;

	kmtls_nl_clearerr(err);
	do {
		n = recvmsg(mnl_socket_get_fd(nl->sock), &msg, MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		e = errno;
		if (e == EWOULDBLOCK)
			e = EAGAIN;
		return kmtls_nl_seterr(err, -e, "netlink receive: %s",
				       strerror(e));
	}
	if (msg.msg_flags & MSG_TRUNC)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "netlink receive: message truncated");
	if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "netlink receive: message from port %u, not the kernel",
				       addr.nl_pid);
	return n;
}

int kmtls_nl_parse_error(const struct nlmsghdr *nlh, struct kmtls_nl_err *err)
{
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_len < NLMSG_HDRLEN)
		return kmtls_nl_seterr(err, -EBADMSG,
				       "malformed reply: not an error message");
	return handle_error(nlh, NULL, err);
}
