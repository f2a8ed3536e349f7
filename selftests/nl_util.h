/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal raw generic netlink helpers shared by the kmtls selftests.
 * No libnl, no libmnl: the tests build statically and run in a bare VM.
 */
#ifndef KMTLS_NL_UTIL_H
#define KMTLS_NL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/genetlink.h>

/* Largest request we build, and the receive buffer (one datagram). */
#define NL_MSG_MAX	4096
#define NL_RCVBUF	32768

struct nl_sock {
	int fd;
	__u32 portid;
	__u32 seq;
};

/* A request under construction: nlmsghdr, then whatever the caller adds.
 * nlh.nlmsg_len always equals len (callers that want a lying header edit
 * it after building).
 */
struct nl_msg {
	size_t len;
	union {
		struct nlmsghdr nlh;
		unsigned char buf[NL_MSG_MAX];
		__u64 align_;
	};
};

/* What the kernel answered to one request. */
struct nl_reply {
	bool done;		/* an NLMSG_ERROR or NLMSG_DONE ended it */
	int error;		/* errno it carried: 0 or negative */
	bool has_msg;		/* NLMSGERR_ATTR_MSG present */
	char msg[256];		/* its text ("" if none) */
	bool has_offs;		/* NLMSGERR_ATTR_OFFS present */
	__u32 offs;
	bool has_miss_type;	/* NLMSGERR_ATTR_MISS_TYPE present */
	__u32 miss_type;	/* the required attribute that was missing */
	int n_data;		/* data messages carrying our seq */
	size_t data_len;	/* the first of them, copied here */
	union {
		struct nlmsghdr nlh;
		unsigned char data[NL_RCVBUF];
		__u64 align_;
	};
};

/* Open a NETLINK_GENERIC socket with extended acks and capped acks, and a
 * receive timeout.  Returns 0 or -errno.
 */
int nl_open(struct nl_sock *s, int rcv_timeout_ms);
void nl_close(struct nl_sock *s);

/* Message building.  Overflowing NL_MSG_MAX is a bug in the test: abort. */
void nlm_init(struct nl_msg *m, __u16 type, __u16 flags, __u32 seq);
void nlm_put_genlhdr(struct nl_msg *m, __u8 cmd, __u8 version);
void nlm_put_raw(struct nl_msg *m, const void *data, size_t len);
struct nlattr *nlm_put_attr(struct nl_msg *m, __u16 type,
			    const void *data, size_t len);
struct nlattr *nlm_put_u8(struct nl_msg *m, __u16 type, __u8 v);
struct nlattr *nlm_put_u16(struct nl_msg *m, __u16 type, __u16 v);
struct nlattr *nlm_put_u32(struct nl_msg *m, __u16 type, __u32 v);
struct nlattr *nlm_put_u64(struct nl_msg *m, __u16 type, __u64 v);
struct nlattr *nlm_put_strz(struct nl_msg *m, __u16 type, const char *s);
struct nlattr *nlm_nest_start(struct nl_msg *m, __u16 type);
void nlm_nest_end(struct nl_msg *m, struct nlattr *nest);

/* Build a generic netlink request in one go: REQUEST|ACK, fresh seq. */
void genl_req(struct nl_sock *s, struct nl_msg *m, __u16 family,
	      __u8 cmd, __u8 version);

/* Send len bytes as one datagram to the kernel.  Returns 0 or -errno. */
int nl_send(struct nl_sock *s, const void *buf, size_t len);

/* Receive one datagram into buf (NL_RCVBUF bytes).  Returns its length, or
 * -errno (-EAGAIN on timeout, -EMSGSIZE if it was truncated).
 */
int nl_recv(struct nl_sock *s, void *buf, size_t size);

/* Decode an NLMSG_ERROR or NLMSG_DONE message (nlh is whole and sane): its
 * errno and extack into r (done, error, has_msg/msg, has_offs/offs,
 * has_miss_type/miss_type are reset first; the data fields are left
 * alone).  Returns 0, or -EPROTO if it is malformed.
 */
int nl_parse_error(const struct nlmsghdr *nlh, struct nl_reply *r);

/* Read until the NLMSG_ERROR/NLMSG_DONE that answers seq, collecting the
 * data messages for seq on the way; messages for other seqs are skipped.
 * Returns 0 when the answer was seen (its errno is r->error), -errno for
 * a local failure (-EAGAIN: nothing within the timeout, -EPROTO: garbage).
 */
int nl_recv_reply(struct nl_sock *s, __u32 seq, struct nl_reply *r);

/* nl_send + nl_recv_reply for a request built with nlm_*. */
int nl_transact(struct nl_sock *s, const struct nl_msg *m, struct nl_reply *r);

/* A generic netlink dump request: REQUEST|DUMP, fresh seq.  No NLM_F_ACK:
 * a dump that starts answers with its messages and NLMSG_DONE, one that
 * does not with NLMSG_ERROR.
 */
void genl_dump_req(struct nl_sock *s, struct nl_msg *m, __u16 family,
		   __u8 cmd, __u8 version);

/* Called for each data message of a dump; 0 to go on, or a negative errno. */
typedef int (*nl_dump_cb)(const struct nlmsghdr *nlh, void *arg);

/*
 * Send the dump request m and read the answer up to its NLMSG_DONE or
 * NLMSG_ERROR, calling cb (may be NULL) for each data message carrying m's
 * seq, in order.  Once cb fails it is not called again, but the answer is
 * still read to its end so that the socket stays usable.
 *
 * rcvlen: the buffer offered to each recvmsg (0 or more than NL_RCVBUF:
 * NL_RCVBUF).  The kernel sizes a dump's datagrams to the largest buffer
 * the socket was ever read with (and to about a page before the first
 * read), so a small rcvlen on a fresh socket forces a long dump to come in
 * several datagrams; a datagram larger than rcvlen fails with -EMSGSIZE.
 *
 * r gets the end's errno and extack (r->error), r->n_data the number of
 * data messages (r->data holds the first); *n_dgrams (if not NULL) the
 * number of datagrams that carried data messages.  Returns 0 when the end
 * was seen, else cb's error or a local -errno (-EAGAIN: timeout, -EPROTO:
 * garbage).
 */
int nl_dump(struct nl_sock *s, const struct nl_msg *m, size_t rcvlen,
	    nl_dump_cb cb, void *arg, struct nl_reply *r, int *n_dgrams);

/* Attribute walking with the kernel's rules (nla_ok / nla_next). */
static inline bool nla_ok_(const struct nlattr *a, int rem)
{
	return rem >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       a->nla_len <= rem;
}

static inline const struct nlattr *nla_next_(const struct nlattr *a, int *rem)
{
	int step = NLA_ALIGN(a->nla_len);

	*rem -= step;
	return (const struct nlattr *)((const char *)a + step);
}

#define nla_for_each_(pos, head, len, rem)				\
	for ((pos) = (const struct nlattr *)(head), (rem) = (int)(len);	\
	     nla_ok_(pos, rem); (pos) = nla_next_(pos, &(rem)))

static inline __u16 nla_type_(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline int nla_plen(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static inline const void *nla_pdata(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* True if the walk ended exactly at the end (at most alignment padding
 * missing after the last attribute).
 */
static inline bool nla_walk_complete(int rem)
{
	return rem <= 0 && rem > -NLA_ALIGNTO;
}

__u8 nla_get_u8_(const struct nlattr *a);
__u16 nla_get_u16_(const struct nlattr *a);
__u32 nla_get_u32_(const struct nlattr *a);
__u64 nla_get_u64_(const struct nlattr *a);

/* Attributes of a generic netlink message (after the genlmsghdr). */
static inline const struct nlattr *genl_attrs(const struct nlmsghdr *nlh)
{
	return (const struct nlattr *)((const char *)NLMSG_DATA(nlh) +
				       GENL_HDRLEN);
}

static inline int genl_attrs_len(const struct nlmsghdr *nlh)
{
	return (int)nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
}

/* What CTRL_CMD_GETFAMILY tells about a family. */
#define GENL_FAMILY_MAX_OPS 64
struct genl_family_info {
	__u16 id;
	char name[GENL_NAMSIZ];
	__u32 version;
	__u32 hdrsize;
	__u32 maxattr;
	bool has_version, has_hdrsize;
	int n_ops;
	struct {
		__u32 id;
		__u32 flags;
		bool has_id, has_flags;
	} ops[GENL_FAMILY_MAX_OPS];
	bool ops_malformed;	/* CTRL_ATTR_OPS did not parse cleanly */
};

/* Resolve a family by name.  Returns 0, the kernel's -errno (-ENOENT: no
 * such family here), or a local -errno.  fi may be NULL.
 */
int genl_resolve(struct nl_sock *s, const char *name,
		 struct genl_family_info *fi);

/* "EINVAL" for -EINVAL or EINVAL, "OK" for 0. */
const char *errno_name(int err);

/* ---- kmtls requests (linux/kmtls.h) ------------------------------------ */

/* What get-status answers. */
struct kmtls_status {
	char version[128];
	__u8 daemon_attached;
	__u32 handshake_timeout_ms;
	__u32 flows;
	__u64 handshakes;
	__u64 handshakes_failed;
	__u64 config_changes;
	__u64 refused_no_daemon;
};

/*
 * get-status, with a strict check of the answer: exactly one reply message
 * of the family, cmd GET_STATUS and the family version, every attribute
 * exactly once with its exact length, no unknown attribute.  Returns 0, the
 * kernel's -errno or a local -errno (-EPROTO: bad answer); why says what.
 */
int kmtls_get_status(struct nl_sock *s, __u16 family, struct kmtls_status *st,
		     char *why, size_t whylen);

/* A set-config request (REQUEST|ACK) carrying handshake-timeout-ms. */
void kmtls_build_set_timeout(struct nl_sock *s, struct nl_msg *m,
			     __u16 family, __u32 ms);

/* set-config handshake-timeout-ms; 0, the kernel's or a local -errno. */
int kmtls_set_timeout(struct nl_sock *s, __u16 family, __u32 ms,
		      char *why, size_t whylen);

/* ---- privileges -------------------------------------------------------- */

#define NOBODY 65534

/*
 * Become uid/gid NOBODY, no supplementary groups, with empty bounding,
 * ambient, permitted, effective and inheritable capability sets and
 * no_new_privs; checked afterwards.  Needs root.  0, or -1 with why.
 */
int become_nobody(char *why, size_t whylen);

#endif /* KMTLS_NL_UTIL_H */
