// SPDX-License-Identifier: GPL-2.0
/* The handshake protocol, daemon side.  See hs.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/kmtls.h>

#include "hs.h"
#include "log.h"
#include "spiffe.h"

#define TLS_HEADER_LEN	5

int hs_init(struct hs *h, struct svid_store *svids,
	    const struct hs_transport *tx, size_t max_flows,
	    uint64_t flow_timeout_ms, size_t send_max)
{
	memset(h, 0, sizeof(*h));
	h->svids = svids;
	h->tx = *tx;
	h->flow_timeout_ms = flow_timeout_ms;
	h->send_max = send_max;
	return flow_table_init(&h->flows, max_flows);
}

void hs_fini(struct hs *h)
{
	flow_table_fini(&h->flows);
}

static const char *role_name(enum tls_role role)
{
	return role == TLS_ROLE_CLIENT ? "client" : "server";
}

static const char *errno_name(int e)
{
	switch (e) {
	case 0:			return "0";
	case ECONNREFUSED:	return "ECONNREFUSED";
	case ECONNRESET:	return "ECONNRESET";
	case EPIPE:		return "EPIPE";
	case ETIMEDOUT:		return "ETIMEDOUT";
	case EPROTO:		return "EPROTO";
	case ENOENT:		return "ENOENT";
	case EINVAL:		return "EINVAL";
	}
	return "errno";
}

static void format_addr(char *buf, size_t len, uint8_t family,
			const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

/* "flow 7 client 10.0.0.1:4000 -> 10.0.0.2:443 local spiffe://..." */
static void describe(const struct flow *f, char *buf, size_t len)
{
	const char *peer = f->eng ? tls_engine_peer_id(f->eng) : "";

	snprintf(buf, len,
		 "flow %" PRIu64 " %s %s -> %s netns %u local %s peer %s",
		 f->id, role_name(f->role), f->local, f->peer, f->netns,
		 f->local_id ? f->local_id : "?", *peer ? peer : "?");
}

/*
 * Send the engine's output as SEND messages of whole records, each at most
 * send_max bytes.  0 or a negative errno from the transport.
 */
static int flush(struct hs *h, struct flow *f)
{
	const uint8_t *out;
	size_t len, off = 0;
	int ret = 0;

	if (!f->eng)
		return 0;
	out = tls_engine_output(f->eng, &len);
	while (off < len) {
		size_t chunk = 0;

		/* Pack whole records while they fit. */
		while (off + chunk + TLS_HEADER_LEN <= len) {
			const uint8_t *r = out + off + chunk;
			size_t rec = TLS_HEADER_LEN +
				     ((size_t)r[3] << 8 | r[4]);

			if (off + chunk + rec > len ||
			    chunk + rec > h->send_max)
				break;
			chunk += rec;
		}
		/* OpenSSL writes whole records; this is only a fallback. */
		if (chunk == 0)
			chunk = len - off < h->send_max ? len - off
							: h->send_max;
		ret = h->tx.send(h->tx.ctx, f->id, out + off, chunk);
		if (ret)
			break;
		off += chunk;
	}
	tls_engine_output_clear(f->eng);
	return ret;
}

/* The transport could not send: nothing more can be said; drop the flow. */
static void drop(struct hs *h, struct flow *f, const char *what, int err)
{
	char desc[512];

	describe(f, desc, sizeof(desc));
	log_err("%s: cannot send %s to the kernel: %s; flow dropped", desc,
		what, strerror(-err));
	h->stats.ended_by_kernel++;
	flow_del(&h->flows, f);
}

/*
 * End a flow with an error: log, DONE with the status.  Pending output (an
 * alert) is dropped: a TLS 1.3 client finishes before the server has
 * checked its certificate, so it may already be under kTLS, where an alert
 * would reach its unmodified application as EIO.  The kernel resets the
 * connection instead; the peer sees ECONNRESET.
 */
static void fail(struct hs *h, struct flow *f, uint32_t status,
		 const char *reason)
{
	char desc[512];
	int ret;

	describe(f, desc, sizeof(desc));
	log_err("%s: handshake failed (%s): %s", desc,
		errno_name((int)status), reason);
	h->stats.failed++;
	if (f->eng)
		tls_engine_output_clear(f->eng);
	ret = h->tx.done(h->tx.ctx, f->id, status, NULL, NULL);
	if (ret)
		log_err("flow %" PRIu64 ": cannot send DONE to the kernel: %s",
			f->id, strerror(-ret));
	flow_del(&h->flows, f);
}

static void succeed(struct hs *h, struct flow *f)
{
	struct tls_keys keys;
	char desc[512];
	int ret;

	if (tls_engine_unread(f->eng)) {
		char why[128];

		snprintf(why, sizeof(why),
			 "%zu bytes after the peer's Finished in the same record",
			 tls_engine_unread(f->eng));
		fail(h, f, ECONNREFUSED, why);
		return;
	}
	if (tls_engine_keys(f->eng, &keys)) {
		fail(h, f, ECONNREFUSED, "no traffic secrets or key derivation failed");
		return;
	}
	/* The client's last flight goes out before DONE. */
	ret = flush(h, f);
	if (!ret)
		ret = h->tx.done(h->tx.ctx, f->id, 0,
				 tls_engine_peer_id(f->eng), &keys);
	tls_keys_wipe(&keys);
	if (ret) {
		drop(h, f, "the handshake's end", ret);
		return;
	}
	h->stats.established++;
	if (log_verbose()) {
		describe(f, desc, sizeof(desc));
		log_info("%s: established, %s", desc,
			 tls_engine_cipher_name(f->eng));
	}
	flow_del(&h->flows, f);
}

/* After the engine ran: send what it wrote, then ask, finish or fail. */
static void advance(struct hs *h, struct flow *f, enum tls_state st)
{
	int ret;

	switch (st) {
	case TLS_WANT_READ:
		ret = flush(h, f);
		if (ret) {
			drop(h, f, "handshake bytes", ret);
			return;
		}
		ret = h->tx.recv(h->tx.ctx, f->id);
		if (ret) {
			drop(h, f, "a RECV", ret);
			return;
		}
		f->recv_pending = true;
		return;
	case TLS_DONE:
		succeed(h, f);
		return;
	case TLS_FAILED:
		fail(h, f, (uint32_t)tls_engine_error(f->eng),
		     tls_engine_reason(f->eng));
		return;
	}
}

void hs_request(struct hs *h, const struct hs_request *req, uint64_t now_ms)
{
	const char *why;
	char err[600];
	struct flow *f;
	SSL_CTX *ctx;
	int ret;

	h->stats.requests++;
	f = flow_add(&h->flows, req->id, now_ms + h->flow_timeout_ms);
	if (!f) {
		if (errno == EEXIST) {
			log_err("flow %" PRIu64 ": second handshake request for a flow in progress, ignored",
				req->id);
			return;
		}
		log_err("flow %" PRIu64 ": refused (ECONNREFUSED): %s",
			req->id, errno == ENOSPC ?
			"too many handshakes in flight" : "out of memory");
		h->stats.refused_full++;
		h->stats.failed++;
		ret = h->tx.done(h->tx.ctx, req->id, ECONNREFUSED, NULL, NULL);
		if (ret)
			log_err("flow %" PRIu64 ": cannot send DONE to the kernel: %s",
				req->id, strerror(-ret));
		return;
	}
	f->role = req->role == KMTLS_ROLE_CLIENT ? TLS_ROLE_CLIENT
						 : TLS_ROLE_SERVER;
	f->netns = req->netns;
	format_addr(f->local, sizeof(f->local), req->family, req->local_addr,
		    req->local_port);
	format_addr(f->peer, sizeof(f->peer), req->family, req->peer_addr,
		    req->peer_port);
	if (spiffe_id_check(req->local_id, NULL, &why)) {
		/* Keep a printable copy for the log line. */
		f->local_id = malloc(SPIFFE_ID_MAX_LEN + 1);
		if (f->local_id)
			spiffe_printable(f->local_id, SPIFFE_ID_MAX_LEN + 1,
					 req->local_id, strlen(req->local_id));
		snprintf(err, sizeof(err), "the local ID is not a SPIFFE ID: %s",
			 why);
		fail(h, f, ECONNREFUSED, err);
		return;
	}
	f->local_id = strdup(req->local_id);
	if (!f->local_id) {
		fail(h, f, ECONNREFUSED, "out of memory");
		return;
	}

	ctx = svid_store_get(h->svids, f->local_id, now_ms, err, sizeof(err));
	if (!ctx) {
		fail(h, f, ECONNREFUSED, err);
		return;
	}
	f->eng = tls_engine_new(ctx, f->role, f->local_id, err, sizeof(err));
	if (!f->eng) {
		fail(h, f, ECONNREFUSED, err);
		return;
	}
	advance(h, f, tls_engine_start(f->eng));
}

void hs_data(struct hs *h, uint64_t id, const uint8_t *rec, size_t len,
	     uint64_t now_ms)
{
	struct flow *f = flow_find(&h->flows, id);

	(void)now_ms;
	if (!f) {
		log_info("flow %" PRIu64 ": record for a flow not in progress, dropped",
			 id);
		return;
	}
	if (!f->recv_pending) {
		fail(h, f, ECONNREFUSED, "the kernel sent a record that was not asked for");
		return;
	}
	f->recv_pending = false;
	advance(h, f, tls_engine_feed(f->eng, rec, len));
}

void hs_status(struct hs *h, uint64_t id, uint32_t status)
{
	struct flow *f = flow_find(&h->flows, id);
	char desc[512];
	const char *why;

	if (!f) {
		log_info("flow %" PRIu64 ": status %u for a flow not in progress, dropped",
			 id, status);
		return;
	}
	/*
	 * The kernel has failed the flow already (reset the connection with
	 * this errno, which the application sees): no DONE, it would only
	 * draw ENOENT.
	 */
	switch (status) {
	case ECONNRESET:
		why = "the connection was reset";
		break;
	case EPIPE:
		why = "the peer closed the connection";
		break;
	case ETIMEDOUT:
		why = "the kernel's handshake timeout expired";
		break;
	case EPROTO:
	case ECONNREFUSED:
		why = "the peer sent bytes that are not TLS records, or the kernel refused the flow";
		break;
	default:
		why = strerror((int)status);
		break;
	}
	describe(f, desc, sizeof(desc));
	log_err("%s: handshake failed (%s, by the kernel): %s", desc,
		errno_name((int)status), why);
	h->stats.ended_by_kernel++;
	flow_del(&h->flows, f);
}

static const char *cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case KMTLS_CMD_HANDSHAKE_SEND:	return "SEND";
	case KMTLS_CMD_HANDSHAKE_RECV:	return "RECV";
	case KMTLS_CMD_HANDSHAKE_DONE:	return "DONE";
	}
	return "message";
}

void hs_msg_error(struct hs *h, uint64_t id, uint8_t cmd, int err,
		  const char *msg)
{
	struct flow *f = flow_find(&h->flows, id);
	char desc[512];
	int ret;

	if (!f) {
		/* DONE was the flow's last message; ENOENT: the kernel had
		 * ended the flow already, which is harmless. */
		if (err == -ENOENT)
			log_info("flow %" PRIu64 ": kernel no longer knows the flow (%s: %s)",
				 id, cmd_name(cmd), strerror(-err));
		else
			log_err("flow %" PRIu64 ": kernel refused %s: %s%s%s",
				id, cmd_name(cmd), strerror(-err),
				*msg ? ": " : "", msg);
		return;
	}
	describe(f, desc, sizeof(desc));
	log_err("%s: kernel refused %s: %s%s%s; flow dropped", desc,
		cmd_name(cmd), strerror(-err), *msg ? ": " : "", msg);
	h->stats.ended_by_kernel++;
	/* Unless the kernel forgot the flow, end it now rather than by its
	 * timeout (best effort; the answer, if any, is logged above). */
	if (err != -ENOENT && cmd != KMTLS_CMD_HANDSHAKE_DONE) {
		ret = h->tx.done(h->tx.ctx, id, ECONNREFUSED, NULL, NULL);
		(void)ret;
	}
	flow_del(&h->flows, f);
}

void hs_expire(struct hs *h, uint64_t now_ms)
{
	struct flow *f;
	char desc[512];

	while ((f = flow_oldest(&h->flows)) && f->deadline_ms <= now_ms) {
		describe(f, desc, sizeof(desc));
		log_err("%s: no word from the kernel for %" PRIu64 " s, flow dropped",
			desc, h->flow_timeout_ms / 1000);
		h->stats.expired++;
		flow_del(&h->flows, f);
	}
}
