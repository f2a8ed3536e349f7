/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The handshake protocol, daemon side: what to do with each kernel event
 * (handshake-request, handshake-data) and what to answer (handshake-send,
 * -recv, -done).  It drives one TLS engine per flow and knows no netlink:
 * messages to the kernel go through a struct hs_transport, which nl.c
 * implements on the netlink socket and the unit tests implement in memory.
 *
 * Rules it keeps:
 *   - every request ends in exactly one DONE, unless the kernel ended the
 *     flow itself (handshake-data with a status: the kernel has reset the
 *     connection with that errno already) or refused one of our messages;
 *   - all SEND output of a flow goes out before its DONE;
 *   - a RECV is sent only when the engine wants input, so the kernel never
 *     reads a byte past the peer's Finished;
 *   - failures: DONE with ECONNREFUSED for anything TLS or identity; the
 *     kernel's own ECONNRESET/EPIPE/ETIMEDOUT end the flow without a DONE;
 *     one log line each.
 */
#ifndef HANDSHAKED_HS_H
#define HANDSHAKED_HS_H

#include <stddef.h>
#include <stdint.h>

#include "flow.h"
#include "svid.h"
#include "tls.h"

/* Messages to the kernel: each returns 0 or a negative errno (not sent). */
struct hs_transport {
	int (*send)(void *ctx, uint64_t flow, const uint8_t *data, size_t len);
	int (*recv)(void *ctx, uint64_t flow);
	int (*done)(void *ctx, uint64_t flow, uint32_t status,
		    const char *peer_id, const struct tls_keys *keys);
	void *ctx;
};

/* A handshake-request event, checked by the caller (nl.c). */
struct hs_request {
	uint64_t id;
	uint8_t role;			/* KMTLS_ROLE_* */
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t local_addr[16];
	uint8_t peer_addr[16];
	uint16_t local_port;
	uint16_t peer_port;
	uint32_t netns;
	const char *local_id;
};

struct hs_stats {
	uint64_t requests;
	uint64_t established;
	uint64_t failed;		/* we sent DONE with an error */
	uint64_t ended_by_kernel;	/* unprompted status, or refused message */
	uint64_t expired;		/* the daemon's safety timeout */
	uint64_t refused_full;		/* the flow table was full */
};

struct hs {
	struct flow_table flows;
	struct svid_store *svids;	/* borrowed */
	struct hs_transport tx;
	uint64_t flow_timeout_ms;
	size_t send_max;		/* most bytes per SEND message */
	struct hs_stats stats;
};

#define HS_MAX_FLOWS_DEFAULT	4096
/* Twice the kernel's longest handshake timeout. */
#define HS_FLOW_TIMEOUT_MS	(2 * 600000ULL)

/* 0 or -ENOMEM.  svids is borrowed; tx is copied. */
int hs_init(struct hs *h, struct svid_store *svids,
	    const struct hs_transport *tx, size_t max_flows,
	    uint64_t flow_timeout_ms, size_t send_max);
/* Free every flow (no message is sent: the kernel fails them on close). */
void hs_fini(struct hs *h);

/* handshake-request */
void hs_request(struct hs *h, const struct hs_request *req, uint64_t now_ms);
/* handshake-data with a record */
void hs_data(struct hs *h, uint64_t id, const uint8_t *rec, size_t len,
	     uint64_t now_ms);
/* handshake-data with a status (a positive errno): the kernel ended it */
void hs_status(struct hs *h, uint64_t id, uint32_t status);
/*
 * The kernel refused our message cmd (KMTLS_CMD_HANDSHAKE_*) for flow id
 * with err (negative errno) and msg (extack, may be "").
 */
void hs_msg_error(struct hs *h, uint64_t id, uint8_t cmd, int err,
		  const char *msg);
/* Drop flows past their safety timeout. */
void hs_expire(struct hs *h, uint64_t now_ms);

#endif /* HANDSHAKED_HS_H */
