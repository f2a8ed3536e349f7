/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVID store: one SSL_CTX per local identity, loaded from the files
 * SPIRE's spiffe-helper writes and reloaded when they change.
 *
 * Layout: the SVID of spiffe://TD/PATH lives in DIR/TD/PATH/:
 *   svid.pem      the leaf certificate, optionally followed by intermediates
 *   svid_key.pem  its private key
 *   bundle.pem    the trust bundle (CA certificates) of TD
 *
 * Reload: on use, at most once a second per identity, the three files are
 * stat()ed; when their (device, inode, size, mtime) changed, they are loaded
 * again.  New handshakes get the new SSL_CTX; handshakes in flight keep the
 * one they started with (each SSL holds a reference on its SSL_CTX).  A new
 * file set that does not load keeps the old SSL_CTX and is logged once.
 *
 * Ownership: the store owns its entries and their SSL_CTXs.  The SSL_CTX
 * that svid_store_get() returns is borrowed: valid until the next call on
 * the store; take a reference (SSL_new() does) to keep it longer.
 */
#ifndef HANDSHAKED_SVID_H
#define HANDSHAKED_SVID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define SVID_DEFAULT_DIR	"/etc/kmtls/svid"
#define SVID_CHECK_MS		1000

struct svid_store;

/* dir and ciphersuites (NULL: the default) are copied.  NULL: no memory. */
struct svid_store *svid_store_new(const char *dir, const char *ciphersuites);
void svid_store_free(struct svid_store *s);

/*
 * The SSL_CTX of local_id at monotonic time now_ms, or NULL with the
 * reason in err (no SVID for it, or its files do not load).
 */
SSL_CTX *svid_store_get(struct svid_store *s, const char *local_id,
			uint64_t now_ms, char *err, size_t errlen);

/* Make the next svid_store_get() of every identity load its files again. */
void svid_store_reload_all(struct svid_store *s);

/* How many identities the store knows. */
size_t svid_store_count(const struct svid_store *s);

#endif /* HANDSHAKED_SVID_H */
