/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SPIFFE IDs: parse and check the string form, spiffe://<trust-domain>/<path>
 * (SPIFFE-ID and X509-SVID standards).  Pure functions, no state.
 */
#ifndef HANDSHAKED_SPIFFE_H
#define HANDSHAKED_SPIFFE_H

#include <stddef.h>

/* The longest SPIFFE ID accepted (as KMTLS_SPIFFE_ID_MAX_LEN). */
#define SPIFFE_ID_MAX_LEN	2048
/* The longest trust domain name (a DNS name). */
#define SPIFFE_TD_MAX_LEN	255

/*
 * Check that id[0..len) is a workload SPIFFE ID and copy its trust domain,
 * NUL-terminated, to td (at least SPIFFE_TD_MAX_LEN + 1 bytes; may be
 * NULL).  The rules:
 *   - the scheme is "spiffe://", lowercase;
 *   - the trust domain is 1..255 characters of [a-z0-9.-_]: no upper case,
 *     no port, no user info, no percent-encoding, not "." or "..";
 *   - the path is not empty: one or more "/segment", each segment made of
 *     [a-zA-Z0-9.-_], not empty, not "." or ".."; no trailing "/";
 *   - no query, no fragment, no NUL byte, at most SPIFFE_ID_MAX_LEN bytes.
 * Returns 0, or -1 with *why (if why is not NULL) set to a static reason.
 */
int spiffe_id_parse(const char *id, size_t len, char *td, const char **why);

/* The same for a NUL-terminated string. */
int spiffe_id_check(const char *id, char *td, const char **why);

/*
 * Copy src[0..len) to dst (size dstlen > 0, always NUL-terminated) for a log
 * line: bytes outside printable ASCII become '?', and a copy cut short ends
 * in "...".  For strings that came from a peer.
 */
void spiffe_printable(char *dst, size_t dstlen, const char *src, size_t len);

#endif /* HANDSHAKED_SPIFFE_H */
