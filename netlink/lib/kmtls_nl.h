/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmtls_nl: a small client library for the kmtls generic netlink family,
 * built on libmnl.  Used by the kmtls CLI and the handshake daemon.
 *
 * Ownership
 *   struct kmtls_nl owns everything it needs: the netlink socket, the send
 *   buffer and the receive buffer.  kmtls_nl_open() allocates it,
 *   kmtls_nl_close() frees it and closes the socket.  The library keeps no
 *   global mutable state; one struct kmtls_nl must not be used by two
 *   threads at once, separate structs are independent.
 *
 *   A request is built in the handle's send buffer: kmtls_nl_msg_start()
 *   returns a pointer into that buffer, valid until the next
 *   kmtls_nl_msg_start() or kmtls_nl_close().  Add attributes with libmnl's
 *   mnl_attr_put_*_check(nlh, KMTLS_NL_TX_SIZE, ...).
 *
 *   Reply messages live in the handle's receive buffer.  The nlmsghdr and
 *   attribute pointers handed to a reply callback are valid only during
 *   that call; copy what you need to keep (strings included).
 *
 *   The table of parsed attributes (tb) is owned by the caller: an array of
 *   maxtype + 1 pointers, passed in struct kmtls_nl_reply.
 *
 * Errors
 *   Every function that can fail returns 0 or a negative errno and, when
 *   given a struct kmtls_nl_err, fills it in: the same negative errno, a
 *   message (the kernel's extack text when it sent one, otherwise one of
 *   ours, or empty) and, when the kernel pointed at an attribute of our
 *   request, its offset and type.
 */
#ifndef KMTLS_NL_H
#define KMTLS_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/netlink.h>

/* Size of the send buffer; the bound for mnl_attr_put_*_check(). */
#define KMTLS_NL_TX_SIZE	8192
/* Size of the receive buffer; a larger reply fails with -ENOSPC. */
#define KMTLS_NL_RX_SIZE	32768

#define KMTLS_NL_ERRMSG_SIZE	256

struct kmtls_nl;

struct kmtls_nl_err {
	int err;			/* 0 or a negative errno */
	char msg[KMTLS_NL_ERRMSG_SIZE];	/* extack or library text, or "" */
	bool kernel_msg;		/* msg came from the kernel (extack) */
	bool has_bad_attr;		/* the kernel reported a bad attribute */
	uint32_t bad_attr_off;		/* its offset in our request */
	uint16_t bad_attr_type;		/* its type, 0 if the offset was odd */
};

/*
 * Attribute types a reply is checked against.  KMTLS_NL_IGNORE (the zero
 * value) and any type above the table's maxtype are skipped: a newer kernel
 * may add attributes.  A known attribute with the wrong size, a string
 * without its NUL, a duplicate or a missing required attribute make the
 * message invalid (-EBADMSG).
 */
enum kmtls_nl_type {
	KMTLS_NL_IGNORE = 0,
	KMTLS_NL_U8,
	KMTLS_NL_U16,
	KMTLS_NL_U32,
	KMTLS_NL_U64,
	KMTLS_NL_STRING,	/* NUL-terminated, NUL included */
	KMTLS_NL_FLAG,		/* no payload */
	KMTLS_NL_BINARY,	/* any length */
	KMTLS_NL_NESTED,	/* payload is itself a stream of attributes */
	KMTLS_NL_PAD,		/* alignment padding, skipped */
};

struct kmtls_nl_policy {
	enum kmtls_nl_type type;
	bool required;
	const char *name;	/* for error messages; may be NULL */
};

/* Called once for every valid reply message of a request. */
typedef int (*kmtls_nl_reply_cb)(const struct nlmsghdr *nlh,
				 const struct nlattr *const *tb, void *data,
				 struct kmtls_nl_err *err);

/*
 * How to check and deliver reply messages: each one is parsed against
 * policy[0..maxtype] into tb[0..maxtype] (caller-owned), then cb is called.
 * Return 0 from cb to go on, a negative errno to fail the request (the
 * callback may fill err->msg).
 */
struct kmtls_nl_reply {
	const struct kmtls_nl_policy *policy;
	uint16_t maxtype;
	const struct nlattr **tb;
	kmtls_nl_reply_cb cb;
	void *data;
};

/*
 * Open a NETLINK_GENERIC socket, turn on extended and capped ACKs, and
 * resolve the kmtls family.  When the family does not exist: -ENOENT with
 * message "kmtls module not loaded".  When the kernel speaks another family
 * version: -EPROTONOSUPPORT.  On success *nlp owns a new handle.
 */
int kmtls_nl_open(struct kmtls_nl **nlp, struct kmtls_nl_err *err);

/* Close the socket and free the handle.  NULL is fine. */
void kmtls_nl_close(struct kmtls_nl *nl);

uint16_t kmtls_nl_family_id(const struct kmtls_nl *nl);
uint32_t kmtls_nl_family_version(const struct kmtls_nl *nl);

/*
 * Start a kmtls request with generic netlink command cmd and the family
 * version this library speaks.  NLM_F_REQUEST and NLM_F_ACK are always set;
 * flags adds to them (NLM_F_DUMP, say).  Returns a pointer into the
 * handle's send buffer.
 */
struct nlmsghdr *kmtls_nl_msg_start(struct kmtls_nl *nl, uint8_t cmd,
				    uint16_t flags);

/*
 * Send req (from kmtls_nl_msg_start()) and receive until the kernel's ACK,
 * error or DONE.  Reply messages go to reply->cb; reply may be NULL for
 * requests that only expect an ACK (a reply message is then skipped).
 * Returns 0 or a negative errno: the kernel's, with its extack message in
 * err, or the library's own (-EBADMSG for a malformed reply, ...).  An ACK
 * that succeeds with a kernel warning returns 0 and leaves the warning in
 * err->msg with err->kernel_msg set.
 */
int kmtls_nl_request(struct kmtls_nl *nl, struct nlmsghdr *req,
		     const struct kmtls_nl_reply *reply,
		     struct kmtls_nl_err *err);

/*
 * Walk the netlink messages of one received buffer: the message at *off
 * goes to *msg and *off moves past it.  Returns 1, 0 at the end of the
 * buffer, or -EBADMSG (message in err) for a message that overruns the
 * buffer or bytes left over that hold no message.
 */
int kmtls_nl_next(const void *buf, size_t len, size_t *off,
		  const struct nlmsghdr **msg, struct kmtls_nl_err *err);

/*
 * Process one buffer of received netlink messages answering req (sequence
 * number and message type are taken from req; portid is ours).  Returns
 * 1 when more messages are expected, 0 when the request is done, or a
 * negative errno.  kmtls_nl_request() uses it; it is public so that a
 * caller doing its own I/O, and the unit tests, can use it too.
 */
int kmtls_nl_process(const void *buf, size_t len, const struct nlmsghdr *req,
		     uint32_t portid, const struct kmtls_nl_reply *reply,
		     struct kmtls_nl_err *err);

/*
 * Check the attribute stream buf[0..len) against policy[0..maxtype] and fill
 * tb[0..maxtype] (NULL where absent).  Returns 0 or -EBADMSG with a message
 * in err.  Use it for nested attributes; kmtls_nl_parse_genl() for a whole
 * generic netlink message.
 */
int kmtls_nl_parse_attrs(const void *buf, size_t len,
			 const struct kmtls_nl_policy *policy, uint16_t maxtype,
			 const struct nlattr **tb, struct kmtls_nl_err *err);

/* The same for the attributes of a generic netlink message. */
int kmtls_nl_parse_genl(const struct nlmsghdr *nlh,
			const struct kmtls_nl_policy *policy, uint16_t maxtype,
			const struct nlattr **tb, struct kmtls_nl_err *err);

/* Set err (if not NULL) to e with a printf-style message; returns e. */
int kmtls_nl_seterr(struct kmtls_nl_err *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clear err (if not NULL). */
void kmtls_nl_clearerr(struct kmtls_nl_err *err);

/*
 * ---- Asynchronous use (the handshake daemon) -------------------------
 *
 * A daemon that keeps many requests in flight and receives kernel events
 * does its own I/O on the handle's socket: it builds messages in buffers
 * of its own (larger than KMTLS_NL_TX_SIZE when it must), sends them
 * without waiting, and matches NLMSG_ERROR answers by sequence number.
 */

/* The socket's file descriptor, for poll()/epoll and setsockopt(). */
int kmtls_nl_fd(const struct kmtls_nl *nl);

/* The socket's netlink port id. */
uint32_t kmtls_nl_portid(const struct kmtls_nl *nl);

/*
 * Start a kmtls message with command cmd in the caller's buffer buf (at
 * least NLMSG_HDRLEN + GENL_HDRLEN bytes, 4-byte aligned).  Only
 * NLM_F_REQUEST is set; flags adds to it (NLM_F_ACK, say).  The message
 * gets the handle's next sequence number.
 */
struct nlmsghdr *kmtls_nl_msg_init(struct kmtls_nl *nl, void *buf,
				   uint8_t cmd, uint16_t flags);

/*
 * Send one message (from kmtls_nl_msg_start() or kmtls_nl_msg_init()) to
 * the kernel and return without reading anything.  0 or a negative errno.
 */
int kmtls_nl_send(struct kmtls_nl *nl, const struct nlmsghdr *nlh,
		  struct kmtls_nl_err *err);

/*
 * Send len bytes of buf, one or more messages back to back (each from
 * kmtls_nl_msg_init(), at NLMSG_ALIGN()ed offsets), in one sendmsg(): a
 * batch.  The kernel handles them in order, each as if sent alone, and
 * answers only those that fail or carry NLM_F_ACK.  len must stay below
 * the socket's send buffer (net.core.wmem_default; -EMSGSIZE otherwise).
 * 0 or a negative errno.
 */
int kmtls_nl_send_batch(struct kmtls_nl *nl, const void *buf, size_t len,
			struct kmtls_nl_err *err);

/*
 * Receive one datagram into buf without blocking.  Returns its length,
 * -EAGAIN when nothing is queued, -ENOBUFS when the kernel dropped
 * messages because the receive buffer was full (the socket stays usable),
 * -EBADMSG for a datagram larger than len or one that did not come from
 * the kernel (it is dropped), or another negative errno.
 */
ssize_t kmtls_nl_recv(struct kmtls_nl *nl, void *buf, size_t len,
		      struct kmtls_nl_err *err);

/*
 * Read an NLMSG_ERROR message that answers one of our requests: returns
 * its error (0 for an ACK, else a negative errno) and fills err with it and
 * the extack message, if any.  -EBADMSG for a malformed message.
 */
int kmtls_nl_parse_error(const struct nlmsghdr *nlh, struct kmtls_nl_err *err);

#endif /* KMTLS_NL_H */
