// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal raw generic netlink helpers shared by the kmtls selftests.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <linux/kmtls.h>

#include "nl_util.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* enum nlmsgerr_attrs (5.19+) values; older uapi headers lack them. */
#define NL_ERR_ATTR_MISS_TYPE	5

int nl_open(struct nl_sock *s, int rcv_timeout_ms)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct timeval tv = {
		.tv_sec = rcv_timeout_ms / 1000,
		.tv_usec = (rcv_timeout_ms % 1000) * 1000,
	};
	int one = 1;
	int err;

	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0)
		return -errno;
	/* Extended acks carry the kernel's error message; capped acks do not
	 * echo the request back (both are plain setsockopts, no privilege).
	 */
	if (setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)) ||
	    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &salen)) {
		err = -errno;
		close(s->fd);
		s->fd = -1;
		return err;
	}
	s->portid = sa.nl_pid;
	s->seq = (__u32)time(NULL);
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void *nlm_tail(struct nl_msg *m, size_t len)
{
	size_t alen = NLMSG_ALIGN(len);
	void *p;

	if (m->len + alen > sizeof(m->buf)) {
		fprintf(stderr, "# nl_util: request larger than %zu bytes\n",
			sizeof(m->buf));
		abort();
	}
	p = m->buf + m->len;
	memset(p, 0, alen);
	m->len += alen;
	m->nlh.nlmsg_len = (__u32)m->len;
	return p;
}

void nlm_init(struct nl_msg *m, __u16 type, __u16 flags, __u32 seq)
{
	memset(&m->nlh, 0, sizeof(m->nlh));
	m->len = NLMSG_HDRLEN;
	m->nlh.nlmsg_len = NLMSG_HDRLEN;
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = flags;
	m->nlh.nlmsg_seq = seq;
	m->nlh.nlmsg_pid = 0;
}

void nlm_put_genlhdr(struct nl_msg *m, __u8 cmd, __u8 version)
{
	struct genlmsghdr *g = nlm_tail(m, GENL_HDRLEN);

	g->cmd = cmd;
	g->version = version;
	g->reserved = 0;
}

/* Raw bytes, unpadded: nlmsg_len grows by exactly len. */
void nlm_put_raw(struct nl_msg *m, const void *data, size_t len)
{
	if (m->len + len > sizeof(m->buf)) {
		fprintf(stderr, "# nl_util: request larger than %zu bytes\n",
			sizeof(m->buf));
		abort();
	}
	memcpy(m->buf + m->len, data, len);
	m->len += len;
	m->nlh.nlmsg_len = (__u32)m->len;
}

struct nlattr *nlm_put_attr(struct nl_msg *m, __u16 type,
			    const void *data, size_t len)
{
	struct nlattr *a;

	if (NLA_HDRLEN + len > 0xffff)
		abort();
	a = nlm_tail(m, NLA_HDRLEN + len);
	a->nla_type = type;
	a->nla_len = (__u16)(NLA_HDRLEN + len);
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	return a;
}

struct nlattr *nlm_put_u8(struct nl_msg *m, __u16 type, __u8 v)
{
	return nlm_put_attr(m, type, &v, sizeof(v));
}

struct nlattr *nlm_put_u16(struct nl_msg *m, __u16 type, __u16 v)
{
	return nlm_put_attr(m, type, &v, sizeof(v));
}

struct nlattr *nlm_put_u32(struct nl_msg *m, __u16 type, __u32 v)
{
	return nlm_put_attr(m, type, &v, sizeof(v));
}

struct nlattr *nlm_put_u64(struct nl_msg *m, __u16 type, __u64 v)
{
	return nlm_put_attr(m, type, &v, sizeof(v));
}

struct nlattr *nlm_put_strz(struct nl_msg *m, __u16 type, const char *s)
{
	return nlm_put_attr(m, type, s, strlen(s) + 1);
}

struct nlattr *nlm_nest_start(struct nl_msg *m, __u16 type)
{
	return nlm_put_attr(m, type, NULL, 0);
}

void nlm_nest_end(struct nl_msg *m, struct nlattr *nest)
{
	size_t len = (size_t)(m->buf + m->len - (unsigned char *)nest);

	if (len > 0xffff)
		abort();
	nest->nla_len = (__u16)len;
}

void genl_req(struct nl_sock *s, struct nl_msg *m, __u16 family,
	      __u8 cmd, __u8 version)
{
	nlm_init(m, family, NLM_F_REQUEST | NLM_F_ACK, ++s->seq);
	nlm_put_genlhdr(m, cmd, version);
}

int nl_send(struct nl_sock *s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };	/* kernel */
	ssize_t n;

	do {
		n = sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa,
			   sizeof(sa));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int nl_recv(struct nl_sock *s, void *buf, size_t size)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = { .iov_base = buf, .iov_len = size };
		struct msghdr mh = {
			.msg_name = &sa,
			.msg_namelen = sizeof(sa),
			.msg_iov = &iov,
			.msg_iovlen = 1,
		};
		ssize_t n;

		n = recvmsg(s->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EWOULDBLOCK)
				return -EAGAIN;
			return -errno;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		if (sa.nl_pid != 0)	/* not from the kernel: not ours */
			continue;
		return (int)n;
	}
}

__u8 nla_get_u8_(const struct nlattr *a)
{
	__u8 v = 0;

	memcpy(&v, nla_pdata(a), sizeof(v));
	return v;
}

__u16 nla_get_u16_(const struct nlattr *a)
{
	__u16 v = 0;

	memcpy(&v, nla_pdata(a), sizeof(v));
	return v;
}

__u32 nla_get_u32_(const struct nlattr *a)
{
	__u32 v = 0;

	memcpy(&v, nla_pdata(a), sizeof(v));
	return v;
}

__u64 nla_get_u64_(const struct nlattr *a)
{
	__u64 v = 0;

	memcpy(&v, nla_pdata(a), sizeof(v));
	return v;
}

/* Extended ack TLVs starting at off bytes into nlh. */
static int parse_ack_tlvs(const struct nlmsghdr *nlh, size_t off,
			  struct nl_reply *r)
{
	const struct nlattr *a;
	int rem;

	if (off > nlh->nlmsg_len)
		return -EPROTO;
	nla_for_each_(a, (const char *)nlh + off, nlh->nlmsg_len - off, rem) {
		switch (nla_type_(a)) {
		case NLMSGERR_ATTR_MSG: {
			size_t n = strnlen(nla_pdata(a), (size_t)nla_plen(a));

			if (n >= sizeof(r->msg))
				n = sizeof(r->msg) - 1;
			memcpy(r->msg, nla_pdata(a), n);
			r->msg[n] = '\0';
			r->has_msg = true;
			break;
		}
		case NLMSGERR_ATTR_OFFS:
			if (nla_plen(a) != sizeof(__u32))
				return -EPROTO;
			r->offs = nla_get_u32_(a);
			r->has_offs = true;
			break;
		case NL_ERR_ATTR_MISS_TYPE:
			if (nla_plen(a) != sizeof(__u32))
				return -EPROTO;
			r->miss_type = nla_get_u32_(a);
			r->has_miss_type = true;
			break;
		default:
			break;
		}
	}
	if (!nla_walk_complete(rem))
		return -EPROTO;
	return 0;
}

int nl_parse_error(const struct nlmsghdr *nlh, struct nl_reply *r)
{
	const struct nlmsgerr *e;
	size_t off;

	r->done = true;
	r->error = 0;
	r->has_msg = false;
	r->msg[0] = '\0';
	r->has_offs = false;
	r->offs = 0;
	r->has_miss_type = false;
	r->miss_type = 0;
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* A dump's end: an int errno, then maybe ack TLVs. */
		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
			memcpy(&r->error, NLMSG_DATA(nlh), sizeof(int));
		if (r->error > 0 || r->error < -4095)
			return -EPROTO;
		if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
			return 0;
		return parse_ack_tlvs(nlh, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)), r);
	}

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return -EPROTO;
	e = NLMSG_DATA(nlh);
	r->error = e->error;
	if (e->error > 0 || e->error < -4095)
		return -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	off = NLMSG_HDRLEN + sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		/* The whole request was echoed after struct nlmsgerr. */
		if (e->msg.nlmsg_len < NLMSG_HDRLEN)
			return -EPROTO;
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	}
	return parse_ack_tlvs(nlh, off, r);
}

static bool nlmsg_ok_(const struct nlmsghdr *nlh, int rem)
{
	return rem >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (__u32)rem;
}

int nl_recv_reply(struct nl_sock *s, __u32 seq, struct nl_reply *r)
{
	static union {
		unsigned char b[NL_RCVBUF];
		__u64 align_;
	} buf;

	r->done = false;
	r->error = 0;
	r->has_msg = false;
	r->msg[0] = '\0';
	r->has_offs = false;
	r->offs = 0;
	r->has_miss_type = false;
	r->miss_type = 0;
	r->n_data = 0;
	r->data_len = 0;

	for (;;) {
		const struct nlmsghdr *nlh;
		int n, rem;

		n = nl_recv(s, buf.b, sizeof(buf.b));
		if (n < 0)
			return n;
		for (nlh = (const struct nlmsghdr *)buf.b, rem = n;
		     nlmsg_ok_(nlh, rem);
		     rem -= NLMSG_ALIGN(nlh->nlmsg_len),
		     nlh = (const struct nlmsghdr *)((const char *)nlh +
						     NLMSG_ALIGN(nlh->nlmsg_len))) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* stale answer to something else */
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE)
				return nl_parse_error(nlh, r);
			if (nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			if (++r->n_data == 1) {
				memcpy(r->data, nlh, nlh->nlmsg_len);
				r->data_len = nlh->nlmsg_len;
			}
		}
		if (rem > 0)
			return -EPROTO;	/* datagram ends in a broken header */
	}
}

int nl_transact(struct nl_sock *s, const struct nl_msg *m, struct nl_reply *r)
{
	int ret;

	ret = nl_send(s, m->buf, m->len);
	if (ret)
		return ret;
	return nl_recv_reply(s, m->nlh.nlmsg_seq, r);
}

void genl_dump_req(struct nl_sock *s, struct nl_msg *m, __u16 family,
		   __u8 cmd, __u8 version)
{
	nlm_init(m, family, NLM_F_REQUEST | NLM_F_DUMP, ++s->seq);
	nlm_put_genlhdr(m, cmd, version);
}

int nl_dump(struct nl_sock *s, const struct nl_msg *m, size_t rcvlen,
	    nl_dump_cb cb, void *arg, struct nl_reply *r, int *n_dgrams)
{
	static union {
		unsigned char b[NL_RCVBUF];
		__u64 align_;
	} buf;
	__u32 seq = m->nlh.nlmsg_seq;
	int cb_err = 0, ret;

	r->done = false;
	r->error = 0;
	r->has_msg = false;
	r->msg[0] = '\0';
	r->has_offs = false;
	r->offs = 0;
	r->has_miss_type = false;
	r->miss_type = 0;
	r->n_data = 0;
	r->data_len = 0;
	if (n_dgrams)
		*n_dgrams = 0;
	if (rcvlen == 0 || rcvlen > sizeof(buf.b))
		rcvlen = sizeof(buf.b);

	ret = nl_send(s, m->buf, m->len);
	if (ret)
		return ret;
	for (;;) {
		const struct nlmsghdr *nlh;
		bool counted = false;
		int n, rem;

		n = nl_recv(s, buf.b, rcvlen);
		if (n < 0)
			return n;
		for (nlh = (const struct nlmsghdr *)buf.b, rem = n;
		     nlmsg_ok_(nlh, rem);
		     rem -= NLMSG_ALIGN(nlh->nlmsg_len),
		     nlh = (const struct nlmsghdr *)((const char *)nlh +
						     NLMSG_ALIGN(nlh->nlmsg_len))) {
			if (nlh->nlmsg_seq != seq)
				continue;	/* stale answer to something else */
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				ret = nl_parse_error(nlh, r);
				return ret ? ret : cb_err;
			}
			if (nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			if (++r->n_data == 1) {
				memcpy(r->data, nlh, nlh->nlmsg_len);
				r->data_len = nlh->nlmsg_len;
			}
			if (!counted && n_dgrams)
				(*n_dgrams)++;
			counted = true;
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
		if (rem > 0)
			return -EPROTO;	/* datagram ends in a broken header */
	}
}

static int parse_ops(const struct nlattr *ops, struct genl_family_info *fi)
{
	const struct nlattr *op, *a;
	int rem, rem2;

	nla_for_each_(op, nla_pdata(ops), nla_plen(ops), rem) {
		int i = fi->n_ops;

		if (i >= GENL_FAMILY_MAX_OPS)
			return -E2BIG;
		fi->n_ops++;
		nla_for_each_(a, nla_pdata(op), nla_plen(op), rem2) {
			if (nla_plen(a) != sizeof(__u32))
				continue;
			switch (nla_type_(a)) {
			case CTRL_ATTR_OP_ID:
				fi->ops[i].id = nla_get_u32_(a);
				fi->ops[i].has_id = true;
				break;
			case CTRL_ATTR_OP_FLAGS:
				fi->ops[i].flags = nla_get_u32_(a);
				fi->ops[i].has_flags = true;
				break;
			}
		}
		if (!nla_walk_complete(rem2) || !fi->ops[i].has_id)
			return -EPROTO;
	}
	if (!nla_walk_complete(rem))
		return -EPROTO;
	return 0;
}

int genl_resolve(struct nl_sock *s, const char *name,
		 struct genl_family_info *fi_out)
{
	struct genl_family_info fi_local, *fi = fi_out ? fi_out : &fi_local;
	const struct nlmsghdr *nlh;
	const struct nlattr *a;
	struct nl_reply *r;
	struct nl_msg m;
	bool has_id = false, has_name = false;
	int ret, rem;

	memset(fi, 0, sizeof(*fi));
	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;

	genl_req(s, &m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	nlm_put_strz(&m, CTRL_ATTR_FAMILY_NAME, name);
	ret = nl_transact(s, &m, r);
	if (ret)
		goto out;
	if (r->error) {
		ret = r->error;
		goto out;
	}
	ret = -EPROTO;
	if (r->n_data != 1)
		goto out;
	nlh = &r->nlh;
	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		goto out;

	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem) {
		switch (nla_type_(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (nla_plen(a) != sizeof(__u16))
				goto out;
			fi->id = nla_get_u16_(a);
			has_id = true;
			break;
		case CTRL_ATTR_FAMILY_NAME: {
			size_t n = strnlen(nla_pdata(a), (size_t)nla_plen(a));

			if (n >= sizeof(fi->name))
				goto out;
			memcpy(fi->name, nla_pdata(a), n);
			fi->name[n] = '\0';
			has_name = true;
			break;
		}
		case CTRL_ATTR_VERSION:
			if (nla_plen(a) != sizeof(__u32))
				goto out;
			fi->version = nla_get_u32_(a);
			fi->has_version = true;
			break;
		case CTRL_ATTR_HDRSIZE:
			if (nla_plen(a) != sizeof(__u32))
				goto out;
			fi->hdrsize = nla_get_u32_(a);
			fi->has_hdrsize = true;
			break;
		case CTRL_ATTR_MAXATTR:
			if (nla_plen(a) != sizeof(__u32))
				goto out;
			fi->maxattr = nla_get_u32_(a);
			break;
		case CTRL_ATTR_OPS:
			if (parse_ops(a, fi))
				fi->ops_malformed = true;
			break;
		default:
			break;
		}
	}
	if (!nla_walk_complete(rem) || !has_id || !has_name ||
	    strcmp(fi->name, name) != 0)
		goto out;
	ret = 0;
out:
	free(r);
	return ret;
}

const char *errno_name(int err)
{
	static char other[16];

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:			return "OK";
	case EPERM:		return "EPERM";
	case ENOENT:		return "ENOENT";
	case ESRCH:		return "ESRCH";
	case EINTR:		return "EINTR";
	case EIO:		return "EIO";
	case E2BIG:		return "E2BIG";
	case EBADF:		return "EBADF";
	case EAGAIN:		return "EAGAIN";
	case ENOMEM:		return "ENOMEM";
	case EACCES:		return "EACCES";
	case EFAULT:		return "EFAULT";
	case EBUSY:		return "EBUSY";
	case EEXIST:		return "EEXIST";
	case ENODEV:		return "ENODEV";
	case EINVAL:		return "EINVAL";
	case ENOSPC:		return "ENOSPC";
	case ERANGE:		return "ERANGE";
	case ENOSYS:		return "ENOSYS";
	case EMSGSIZE:		return "EMSGSIZE";
	case EPROTO:		return "EPROTO";
	case EBADMSG:		return "EBADMSG";
	case EOVERFLOW:		return "EOVERFLOW";
	case ENOTSUP:		return "EOPNOTSUPP";
	case EPROTONOSUPPORT:	return "EPROTONOSUPPORT";
	case ENOBUFS:		return "ENOBUFS";
	case ENOTCONN:		return "ENOTCONN";
	case ETIMEDOUT:		return "ETIMEDOUT";
	case EALREADY:		return "EALREADY";
	case EINPROGRESS:	return "EINPROGRESS";
	case ENOLINK:		return "ENOLINK";
	case ENODATA:		return "ENODATA";
	default:
		snprintf(other, sizeof(other), "E%d", err);
		return other;
	}
}

/* ---- kmtls requests ---------------------------------------------------- */

static const char *const status_attr_name[KMTLS_A_STATUS_MAX + 1] = {
	[KMTLS_A_STATUS_VERSION]		= "version",
	[KMTLS_A_STATUS_DAEMON_ATTACHED]	= "daemon-attached",
	[KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS]	= "handshake-timeout-ms",
	[KMTLS_A_STATUS_FLOWS]			= "flows",
	[KMTLS_A_STATUS_HANDSHAKES]		= "handshakes",
	[KMTLS_A_STATUS_HANDSHAKES_FAILED]	= "handshakes-failed",
	[KMTLS_A_STATUS_CONFIG_CHANGES]		= "config-changes",
	[KMTLS_A_STATUS_PAD]			= "pad",
	[KMTLS_A_STATUS_REFUSED_NO_DAEMON]	= "refused-no-daemon",
	[KMTLS_A_STATUS_POLICY_DEFAULT]		= "policy-default",
	[KMTLS_A_STATUS_POLICY_DENIED]		= "policy-denied",
	[KMTLS_A_STATUS_POLICY_WOULD_DENY]	= "policy-would-deny",
	[KMTLS_A_STATUS_POLICY_RULES]		= "policy-rules",
	[KMTLS_A_STATUS_POLICY_RESET]		= "policy-reset",
	[KMTLS_A_STATUS_PLAINTEXT_ADMITTED]	= "plaintext-admitted",
};

/* Expected payload length of each reply attribute; -1: any (pad). */
static int status_attr_len(__u16 type)
{
	switch (type) {
	case KMTLS_A_STATUS_DAEMON_ATTACHED:
	case KMTLS_A_STATUS_POLICY_DEFAULT:
		return 1;
	case KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS:
	case KMTLS_A_STATUS_FLOWS:
	case KMTLS_A_STATUS_POLICY_RULES:
		return 4;
	case KMTLS_A_STATUS_HANDSHAKES:
	case KMTLS_A_STATUS_HANDSHAKES_FAILED:
	case KMTLS_A_STATUS_CONFIG_CHANGES:
	case KMTLS_A_STATUS_REFUSED_NO_DAEMON:
	case KMTLS_A_STATUS_POLICY_DENIED:
	case KMTLS_A_STATUS_POLICY_WOULD_DENY:
	case KMTLS_A_STATUS_POLICY_RESET:
	case KMTLS_A_STATUS_PLAINTEXT_ADMITTED:
		return 8;
	default:
		return -1;
	}
}

int kmtls_get_status(struct nl_sock *s, __u16 family, struct kmtls_status *st,
		     char *why, size_t whylen)
{
	bool seen[KMTLS_A_STATUS_MAX + 1] = { false };
	const struct genlmsghdr *g;
	const struct nlmsghdr *nlh;
	const struct nlattr *a;
	struct nl_reply *r;
	struct nl_msg m;
	int ret, rem, t;

	memset(st, 0, sizeof(*st));
	snprintf(why, whylen, "ok");
	r = malloc(sizeof(*r));
	if (!r) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}

	genl_req(s, &m, family, KMTLS_CMD_GET_STATUS, KMTLS_FAMILY_VERSION);
	ret = nl_transact(s, &m, r);
	if (ret) {
		snprintf(why, whylen, "no answer from the kernel: %s",
			 strerror(-ret));
		goto out;
	}
	if (r->error) {
		ret = r->error;
		snprintf(why, whylen, "rejected with %s (extack: \"%s\")",
			 errno_name(r->error), r->msg);
		goto out;
	}
	ret = -EPROTO;
	if (r->n_data != 1) {
		snprintf(why, whylen, "%d reply messages, expected 1",
			 r->n_data);
		goto out;
	}
	nlh = &r->nlh;
	if (nlh->nlmsg_type != family ||
	    nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		snprintf(why, whylen, "reply of type %u, length %u",
			 nlh->nlmsg_type, nlh->nlmsg_len);
		goto out;
	}
	g = NLMSG_DATA(nlh);
	if (g->cmd != KMTLS_CMD_GET_STATUS ||
	    g->version != KMTLS_FAMILY_VERSION) {
		snprintf(why, whylen, "reply genlmsghdr cmd %u version %u, expected %u/%u",
			 g->cmd, g->version, KMTLS_CMD_GET_STATUS,
			 KMTLS_FAMILY_VERSION);
		goto out;
	}

	nla_for_each_(a, genl_attrs(nlh), genl_attrs_len(nlh), rem) {
		__u16 type = nla_type_(a);
		int plen = nla_plen(a);

		if (type == 0 || type > KMTLS_A_STATUS_MAX) {
			snprintf(why, whylen, "unknown attribute type %u in reply",
				 type);
			goto out;
		}
		if (seen[type] && type != KMTLS_A_STATUS_PAD) {
			snprintf(why, whylen, "attribute %s twice in reply",
				 status_attr_name[type]);
			goto out;
		}
		seen[type] = true;
		if (status_attr_len(type) >= 0 && plen != status_attr_len(type)) {
			snprintf(why, whylen, "attribute %s has %d bytes, expected %d",
				 status_attr_name[type], plen,
				 status_attr_len(type));
			goto out;
		}
		switch (type) {
		case KMTLS_A_STATUS_VERSION: {
			size_t n = strnlen(nla_pdata(a), (size_t)plen);

			if (n == (size_t)plen || n >= sizeof(st->version)) {
				snprintf(why, whylen, "version is not a NUL-terminated string of < %zu bytes",
					 sizeof(st->version));
				goto out;
			}
			memcpy(st->version, nla_pdata(a), n + 1);
			break;
		}
		case KMTLS_A_STATUS_DAEMON_ATTACHED:
			st->daemon_attached = nla_get_u8_(a);
			break;
		case KMTLS_A_STATUS_HANDSHAKE_TIMEOUT_MS:
			st->handshake_timeout_ms = nla_get_u32_(a);
			break;
		case KMTLS_A_STATUS_FLOWS:
			st->flows = nla_get_u32_(a);
			break;
		case KMTLS_A_STATUS_HANDSHAKES:
			st->handshakes = nla_get_u64_(a);
			break;
		case KMTLS_A_STATUS_HANDSHAKES_FAILED:
			st->handshakes_failed = nla_get_u64_(a);
			break;
		case KMTLS_A_STATUS_CONFIG_CHANGES:
			st->config_changes = nla_get_u64_(a);
			break;
		case KMTLS_A_STATUS_REFUSED_NO_DAEMON:
			st->refused_no_daemon = nla_get_u64_(a);
			break;
		default:	/* pad */
			break;
		}
	}
	if (!nla_walk_complete(rem)) {
		snprintf(why, whylen, "reply attributes do not parse (%d bytes left)",
			 rem);
		goto out;
	}
	for (t = KMTLS_A_STATUS_VERSION; t <= KMTLS_A_STATUS_MAX; t++) {
		if (t == KMTLS_A_STATUS_PAD)
			continue;
		if (!seen[t]) {
			snprintf(why, whylen, "attribute %s missing from reply",
				 status_attr_name[t]);
			goto out;
		}
	}
	ret = 0;
out:
	free(r);
	return ret;
}

void kmtls_build_set_timeout(struct nl_sock *s, struct nl_msg *m,
			     __u16 family, __u32 ms)
{
	genl_req(s, m, family, KMTLS_CMD_SET_CONFIG, KMTLS_FAMILY_VERSION);
	nlm_put_u32(m, KMTLS_A_CONFIG_HANDSHAKE_TIMEOUT_MS, ms);
}

int kmtls_set_timeout(struct nl_sock *s, __u16 family, __u32 ms,
		      char *why, size_t whylen)
{
	struct nl_reply *r;
	struct nl_msg m;
	int ret;

	r = malloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	kmtls_build_set_timeout(s, &m, family, ms);
	ret = nl_transact(s, &m, r);
	if (ret) {
		snprintf(why, whylen, "no answer from the kernel: %s",
			 strerror(-ret));
	} else if (r->error) {
		ret = r->error;
		snprintf(why, whylen, "rejected with %s (extack: \"%s\")",
			 errno_name(r->error), r->msg);
	} else if (r->n_data) {
		ret = -EPROTO;
		snprintf(why, whylen, "%d unexpected reply messages",
			 r->n_data);
	} else {
		snprintf(why, whylen, "ok");
	}
	free(r);
	return ret;
}

/* ---- privileges -------------------------------------------------------- */

/*
 * Become nobody with no capabilities at all: empty bounding, ambient,
 * permitted, effective and inheritable sets.  Returns 0 or -1 with why.
 */
int become_nobody(char *why, size_t whylen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uid_t ruid, euid, suid;
	unsigned int i;
	int cap;

	/* The bounding set first: dropping needs CAP_SETPCAP. */
	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) {
			snprintf(why, whylen, "PR_CAPBSET_DROP %d: %s", cap,
				 strerror(errno));
			return -1;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) &&
	    errno != EINVAL) {
		snprintf(why, whylen, "PR_CAP_AMBIENT_CLEAR_ALL: %s",
			 strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		snprintf(why, whylen, "becoming uid/gid %d: %s", NOBODY,
			 strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data)) {
		snprintf(why, whylen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(why, whylen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}

	/* Check, do not trust. */
	memset(data, 0xff, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	hdr.pid = 0;
	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(why, whylen, "capget: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective || data[i].permitted ||
		    data[i].inheritable) {
			snprintf(why, whylen, "capabilities left after dropping");
			return -1;
		}
	}
	if (getresuid(&ruid, &euid, &suid) || ruid != NOBODY ||
	    euid != NOBODY || suid != NOBODY) {
		snprintf(why, whylen, "still not uid %d", NOBODY);
		return -1;
	}
	return 0;
}
