// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's netlink side, on the kmtls_nl library (libmnl).  See nl.h.
 *
 * Our messages to the kernel carry no NLM_F_ACK: the kernel answers only
 * when it refuses one, with an NLMSG_ERROR that carries our sequence
 * number.  A ring remembers, for the last NL_RING messages, which flow and
 * command each sequence number belonged to.  The kernel handles a
 * socket's messages in order, so a flow's SENDs are on the wire before its
 * DONE is looked at.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/kmtls.h>

#include "clock.h"
#include "kmtls_nl.h"
#include "log.h"
#include "nl.h"

#define NL_RING		8192		/* a power of two */
#define NL_RCVBUF	(8 << 20)
#define NL_TX_SIZE	(NLMSG_HDRLEN + GENL_HDRLEN + 1024 + \
			 KMTLS_HANDSHAKE_DATA_MAX_LEN)
#define NL_RX_SIZE	(64 << 10)
#define NL_ATTACH_WAIT_MS	5000

struct sent {
	uint32_t seq;
	uint8_t cmd;
	uint64_t flow;
};

struct nl {
	struct kmtls_nl *knl;		/* owned; NULL when detached */
	uint16_t family;
	uint32_t attach_seq;
	bool attach_answered;
	int attach_err;
	char attach_msg[KMTLS_NL_ERRMSG_SIZE];
	struct sent ring[NL_RING];
	uint8_t tx[NL_TX_SIZE] __attribute__((aligned(8)));
	uint8_t rx[NL_RX_SIZE] __attribute__((aligned(8)));
};

int nl_open(struct nl **nlp, char *err, size_t errlen)
{
	struct kmtls_nl_err kerr;
	int size = NL_RCVBUF;
	struct nl *nl;
	int ret, fd;

	*nlp = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = kmtls_nl_open(&nl->knl, &kerr);
	if (ret) {
		snprintf(err, errlen, "%s", kerr.msg[0] ? kerr.msg
							: strerror(-ret));
		free(nl);
		return ret;
	}
	nl->family = kmtls_nl_family_id(nl->knl);
	/* Bursts of events must not overflow the queue (needs CAP_NET_ADMIN
	 * for FORCE; else the rmem_max-capped SO_RCVBUF). */
	fd = kmtls_nl_fd(nl->knl);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		log_warn("cannot enlarge the netlink receive buffer: %s",
			 strerror(errno));
	*nlp = nl;
	return 0;
}

struct nl *nl_new_detached(uint16_t family)
{
	struct nl *nl = calloc(1, sizeof(*nl));

	if (nl)
		nl->family = family;
	return nl;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	kmtls_nl_close(nl->knl);
	explicit_bzero(nl->tx, sizeof(nl->tx));
	free(nl);
}

int nl_fd(const struct nl *nl)
{
	return kmtls_nl_fd(nl->knl);
}

/* ---- sending ------------------------------------------------------------ */

static int send_msg(struct nl *nl, struct nlmsghdr *nlh, uint8_t cmd,
		    uint64_t flow)
{
	struct sent *s = &nl->ring[nlh->nlmsg_seq & (NL_RING - 1)];
	int ret;

	s->seq = nlh->nlmsg_seq;
	s->cmd = cmd;
	s->flow = flow;
	ret = kmtls_nl_send(nl->knl, nlh, NULL);
	if (ret)
		s->seq = 0;
	return ret;
}

static struct nlmsghdr *start(struct nl *nl, uint8_t cmd, uint64_t flow)
{
	struct nlmsghdr *nlh = kmtls_nl_msg_init(nl->knl, nl->tx, cmd, 0);

	mnl_attr_put_u64(nlh, KMTLS_A_FLOW_ID, flow);
	return nlh;
}

static int tx_send(void *ctx, uint64_t flow, const uint8_t *data, size_t len)
{
	struct nl *nl = ctx;
	struct nlmsghdr *nlh;

	if (len == 0 || len > KMTLS_HANDSHAKE_DATA_MAX_LEN)
		return -EMSGSIZE;
	nlh = start(nl, KMTLS_CMD_HANDSHAKE_SEND, flow);
	mnl_attr_put(nlh, KMTLS_A_FLOW_DATA, len, data);
	return send_msg(nl, nlh, KMTLS_CMD_HANDSHAKE_SEND, flow);
}

static int tx_recv(void *ctx, uint64_t flow)
{
	struct nl *nl = ctx;

	return send_msg(nl, start(nl, KMTLS_CMD_HANDSHAKE_RECV, flow),
			KMTLS_CMD_HANDSHAKE_RECV, flow);
}

static int tx_done(void *ctx, uint64_t flow, uint32_t status,
		   const char *peer_id, const struct tls_keys *keys)
{
	struct nl *nl = ctx;
	struct nlmsghdr *nlh;
	size_t len;
	int ret;

	nlh = start(nl, KMTLS_CMD_HANDSHAKE_DONE, flow);
	mnl_attr_put_u32(nlh, KMTLS_A_FLOW_STATUS, status);
	if (status == 0) {
		if (!peer_id || !keys)
			return -EINVAL;
		mnl_attr_put_strz(nlh, KMTLS_A_FLOW_PEER_ID, peer_id);
		mnl_attr_put_u16(nlh, KMTLS_A_FLOW_CIPHER, keys->cipher);
		mnl_attr_put(nlh, KMTLS_A_FLOW_TX_KEY, keys->key_len,
			     keys->tx_key);
		mnl_attr_put(nlh, KMTLS_A_FLOW_TX_IV, TLS_IV_LEN, keys->tx_iv);
		mnl_attr_put(nlh, KMTLS_A_FLOW_RX_KEY, keys->key_len,
			     keys->rx_key);
		mnl_attr_put(nlh, KMTLS_A_FLOW_RX_IV, TLS_IV_LEN, keys->rx_iv);
	}
	len = nlh->nlmsg_len;
	ret = send_msg(nl, nlh, KMTLS_CMD_HANDSHAKE_DONE, flow);
	/* The keys are in the kernel now (or nowhere): not in our buffer. */
	explicit_bzero(nl->tx, len);
	return ret;
}

void nl_transport(struct nl *nl, struct hs_transport *tx)
{
	tx->send = tx_send;
	tx->recv = tx_recv;
	tx->done = tx_done;
	tx->ctx = nl;
}

/* ---- receiving ------------------------------------------------------------ */

static const struct kmtls_nl_policy request_policy[KMTLS_A_FLOW_MAX + 1] = {
	[KMTLS_A_FLOW_ID] = { KMTLS_NL_U64, true, "id" },
	[KMTLS_A_FLOW_PAD] = { KMTLS_NL_PAD, false, "pad" },
	[KMTLS_A_FLOW_ROLE] = { KMTLS_NL_U8, true, "role" },
	[KMTLS_A_FLOW_FAMILY] = { KMTLS_NL_U8, true, "family" },
	[KMTLS_A_FLOW_LOCAL_ADDR] = { KMTLS_NL_BINARY, true, "local-addr" },
	[KMTLS_A_FLOW_LOCAL_PORT] = { KMTLS_NL_U16, true, "local-port" },
	[KMTLS_A_FLOW_PEER_ADDR] = { KMTLS_NL_BINARY, true, "peer-addr" },
	[KMTLS_A_FLOW_PEER_PORT] = { KMTLS_NL_U16, true, "peer-port" },
	[KMTLS_A_FLOW_LOCAL_ID] = { KMTLS_NL_STRING, true, "local-id" },
	[KMTLS_A_FLOW_NETNS] = { KMTLS_NL_U32, false, "netns" },
};

static const struct kmtls_nl_policy data_policy[KMTLS_A_FLOW_MAX + 1] = {
	[KMTLS_A_FLOW_ID] = { KMTLS_NL_U64, true, "id" },
	[KMTLS_A_FLOW_PAD] = { KMTLS_NL_PAD, false, "pad" },
	[KMTLS_A_FLOW_DATA] = { KMTLS_NL_BINARY, false, "data" },
	[KMTLS_A_FLOW_STATUS] = { KMTLS_NL_U32, false, "status" },
};

/* The library speaks of replies; these are events. */
static const char *why(const struct kmtls_nl_err *err)
{
	static const char prefix[] = "malformed reply: ";

	if (strncmp(err->msg, prefix, sizeof(prefix) - 1) == 0)
		return err->msg + sizeof(prefix) - 1;
	return err->msg;
}

static void on_request(struct nl *nl, struct hs *h,
		       const struct nlmsghdr *nlh, uint64_t now_ms)
{
	const struct nlattr *tb[KMTLS_A_FLOW_MAX + 1];
	struct kmtls_nl_err err;
	struct hs_request req;
	size_t alen;

	(void)nl;
	if (kmtls_nl_parse_genl(nlh, request_policy, KMTLS_A_FLOW_MAX, tb,
				&err)) {
		log_err("handshake request dropped: %s", why(&err));
		return;
	}
	memset(&req, 0, sizeof(req));
	req.id = mnl_attr_get_u64(tb[KMTLS_A_FLOW_ID]);
	req.role = mnl_attr_get_u8(tb[KMTLS_A_FLOW_ROLE]);
	req.family = mnl_attr_get_u8(tb[KMTLS_A_FLOW_FAMILY]);
	req.local_port = mnl_attr_get_u16(tb[KMTLS_A_FLOW_LOCAL_PORT]);
	req.peer_port = mnl_attr_get_u16(tb[KMTLS_A_FLOW_PEER_PORT]);
	req.local_id = mnl_attr_get_str(tb[KMTLS_A_FLOW_LOCAL_ID]);
	if (tb[KMTLS_A_FLOW_NETNS])
		req.netns = mnl_attr_get_u32(tb[KMTLS_A_FLOW_NETNS]);

	alen = req.family == AF_INET ? 4 : req.family == AF_INET6 ? 16 : 0;
	if (req.role != KMTLS_ROLE_CLIENT && req.role != KMTLS_ROLE_SERVER) {
		log_err("flow %" PRIu64 ": handshake request dropped: role %u",
			req.id, req.role);
		return;
	}
	if (!alen ||
	    mnl_attr_get_payload_len(tb[KMTLS_A_FLOW_LOCAL_ADDR]) != alen ||
	    mnl_attr_get_payload_len(tb[KMTLS_A_FLOW_PEER_ADDR]) != alen) {
		log_err("flow %" PRIu64 ": handshake request dropped: family %u with %u- and %u-byte addresses",
			req.id, req.family,
			mnl_attr_get_payload_len(tb[KMTLS_A_FLOW_LOCAL_ADDR]),
			mnl_attr_get_payload_len(tb[KMTLS_A_FLOW_PEER_ADDR]));
		return;
	}
	memcpy(req.local_addr, mnl_attr_get_payload(tb[KMTLS_A_FLOW_LOCAL_ADDR]),
	       alen);
	memcpy(req.peer_addr, mnl_attr_get_payload(tb[KMTLS_A_FLOW_PEER_ADDR]),
	       alen);
	hs_request(h, &req, now_ms);
}

static void on_data(struct hs *h, const struct nlmsghdr *nlh, uint64_t now_ms)
{
	const struct nlattr *tb[KMTLS_A_FLOW_MAX + 1];
	const struct nlattr *data, *status;
	struct kmtls_nl_err err;
	uint64_t id;

	if (kmtls_nl_parse_genl(nlh, data_policy, KMTLS_A_FLOW_MAX, tb,
				&err)) {
		log_err("handshake data dropped: %s", why(&err));
		return;
	}
	id = mnl_attr_get_u64(tb[KMTLS_A_FLOW_ID]);
	data = tb[KMTLS_A_FLOW_DATA];
	status = tb[KMTLS_A_FLOW_STATUS];
	if (!data == !status) {
		log_err("flow %" PRIu64 ": handshake data dropped: it must carry data or a status, and not both",
			id);
		return;
	}
	if (status) {
		if (mnl_attr_get_u32(status) == 0 ||
		    mnl_attr_get_u32(status) > 4095) {
			log_err("flow %" PRIu64 ": handshake data dropped: status %u is not an errno",
				id, mnl_attr_get_u32(status));
			return;
		}
		hs_status(h, id, mnl_attr_get_u32(status));
		return;
	}
	if (mnl_attr_get_payload_len(data) == 0 ||
	    mnl_attr_get_payload_len(data) > KMTLS_RECORD_MAX_LEN) {
		log_err("flow %" PRIu64 ": handshake data dropped: %u bytes",
			id, mnl_attr_get_payload_len(data));
		return;
	}
	hs_data(h, id, mnl_attr_get_payload(data),
		mnl_attr_get_payload_len(data), now_ms);
}

static void on_error(struct nl *nl, struct hs *h, const struct nlmsghdr *nlh)
{
	const struct sent *s = &nl->ring[nlh->nlmsg_seq & (NL_RING - 1)];
	struct kmtls_nl_err err;
	int e;

	e = kmtls_nl_parse_error(nlh, &err);
	if (e == -EBADMSG && !err.kernel_msg && err.err == -EBADMSG &&
	    strncmp(err.msg, "malformed", 9) == 0) {
		log_err("netlink: %s", err.msg);
		return;
	}
	if (nl->attach_seq && nlh->nlmsg_seq == nl->attach_seq) {
		nl->attach_answered = true;
		nl->attach_err = e;
		snprintf(nl->attach_msg, sizeof(nl->attach_msg), "%s",
			 err.kernel_msg ? err.msg : "");
		return;
	}
	if (e == 0)
		return;		/* an ACK we did not ask for */
	if (s->seq != nlh->nlmsg_seq || s->seq == 0) {
		log_err("netlink: error %s for an unknown message (seq %u)",
			strerror(-e), nlh->nlmsg_seq);
		return;
	}
	hs_msg_error(h, s->flow, s->cmd, e, err.kernel_msg ? err.msg : "");
}

void nl_dispatch(struct nl *nl, struct hs *h, const void *buf, size_t len,
		 uint64_t now_ms)
{
	const uint8_t *p = buf;
	size_t off = 0;

	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *nlh = (const void *)(p + off);
		const struct genlmsghdr *genl;

		if (nlh->nlmsg_len < NLMSG_HDRLEN ||
		    nlh->nlmsg_len > len - off) {
			log_err("netlink: truncated message dropped");
			return;
		}
		off += NLMSG_ALIGN(nlh->nlmsg_len);
		if (off > len)
			off = len;

		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
		case NLMSG_DONE:
			continue;
		case NLMSG_OVERRUN:
			log_err("netlink: overrun");
			continue;
		case NLMSG_ERROR:
			on_error(nl, h, nlh);
			continue;
		}
		if (nlh->nlmsg_type != nl->family) {
			log_err("netlink: message of type %u dropped",
				nlh->nlmsg_type);
			continue;
		}
		if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) {
			log_err("netlink: kmtls message without a generic netlink header dropped");
			continue;
		}
		genl = mnl_nlmsg_get_payload(nlh);
		switch (genl->cmd) {
		case KMTLS_CMD_HANDSHAKE_REQUEST:
			on_request(nl, h, nlh, now_ms);
			break;
		case KMTLS_CMD_HANDSHAKE_DATA:
			on_data(h, nlh, now_ms);
			break;
		default:
			log_err("netlink: kmtls event %u dropped", genl->cmd);
			break;
		}
	}
	if (off != len)
		log_err("netlink: %zu stray bytes dropped", len - off);
}

int nl_receive(struct nl *nl, struct hs *h, uint64_t now_ms)
{
	struct kmtls_nl_err err;
	ssize_t n;

	for (;;) {
		n = kmtls_nl_recv(nl->knl, nl->rx, sizeof(nl->rx), &err);
		if (n == -EAGAIN)
			return 0;
		if (n == -ENOBUFS) {
			log_err("netlink: receive queue overflowed, kernel events lost (their flows end by timeout)");
			continue;
		}
		if (n == -EBADMSG) {
			log_err("%s", err.msg);
			continue;
		}
		if (n < 0)
			return (int)n;
		nl_dispatch(nl, h, nl->rx, (size_t)n, now_ms);
	}
}

int nl_attach(struct nl *nl, struct hs *h, char *errbuf, size_t errlen)
{
	uint64_t deadline = clock_ms() + NL_ATTACH_WAIT_MS;
	struct nlmsghdr *nlh;
	struct pollfd pfd;
	int ret;

	nlh = kmtls_nl_msg_init(nl->knl, nl->tx, KMTLS_CMD_DAEMON_ATTACH,
				NLM_F_ACK);
	nl->attach_seq = nlh->nlmsg_seq;
	nl->attach_answered = false;
	ret = kmtls_nl_send(nl->knl, nlh, NULL);
	if (ret) {
		snprintf(errbuf, errlen, "netlink send: %s", strerror(-ret));
		return ret;
	}
	while (!nl->attach_answered) {
		uint64_t now = clock_ms();

		if (now >= deadline) {
			snprintf(errbuf, errlen, "no answer to daemon-attach");
			return -ETIMEDOUT;
		}
		pfd.fd = nl_fd(nl);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - now)) < 0 && errno != EINTR) {
			snprintf(errbuf, errlen, "poll: %s", strerror(errno));
			return -errno;
		}
		ret = nl_receive(nl, h, clock_ms());
		if (ret) {
			snprintf(errbuf, errlen, "netlink receive: %s",
				 strerror(-ret));
			return ret;
		}
	}
	nl->attach_seq = 0;
	snprintf(errbuf, errlen, "%s", nl->attach_msg);
	return nl->attach_err;
}
