/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's netlink side: attach as the handshake daemon, receive and
 * check kernel events and hand them to hs.c, send handshake-send/-recv/
 * -done for it (struct hs_transport), and match the kernel's error answers
 * to flows by sequence number.
 *
 * Ownership: struct nl owns the netlink socket (through struct kmtls_nl)
 * and its buffers.  Closing it (nl_close(), or the process ending) detaches
 * the daemon: the kernel then fails every handshake in flight.
 */
#ifndef HANDSHAKED_NL_H
#define HANDSHAKED_NL_H

#include <stddef.h>
#include <stdint.h>

#include "hs.h"

struct nl;

/*
 * Open the socket, resolve the kmtls family and enlarge the receive
 * buffer.  0, or a negative errno with a message in err (-ENOENT: "kmtls
 * module not loaded").
 */
int nl_open(struct nl **nlp, char *err, size_t errlen);
void nl_close(struct nl *nl);

/*
 * A struct nl without a socket that only dispatches (unit tests): family is
 * the family id its events carry.  Its transport must not be used.
 */
struct nl *nl_new_detached(uint16_t family);

int nl_fd(const struct nl *nl);

/* Fill tx with the functions that send to the kernel through nl. */
void nl_transport(struct nl *nl, struct hs_transport *tx);

/*
 * Send daemon-attach and wait for the answer (events that arrive meanwhile
 * go to h).  0 or the kernel's negative errno with its message in err.
 */
int nl_attach(struct nl *nl, struct hs *h, char *err, size_t errlen);

/*
 * Receive everything queued and dispatch it to h.  0, or a negative errno
 * when the socket is unusable.  Lost events (ENOBUFS) and malformed
 * messages are logged and skipped.
 */
int nl_receive(struct nl *nl, struct hs *h, uint64_t now_ms);

/* Dispatch one received datagram (public for the unit tests). */
void nl_dispatch(struct nl *nl, struct hs *h, const void *buf, size_t len,
		 uint64_t now_ms);

#endif /* HANDSHAKED_NL_H */
