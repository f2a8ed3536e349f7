/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the unit tests: a scratch directory, certificates from
 * scripts/kmtls-ca, and two TLS engines driven against each other the way
 * the kernel relays them (one whole record per feed, only when asked).
 */
#ifndef HANDSHAKED_TESTLIB_H
#define HANDSHAKED_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* A fresh directory under $TMPDIR, removed at exit.  Aborts on failure. */
const char *t_tmpdir(void);

/* path = dir/name, in a static rotating buffer. */
const char *t_path(const char *dir, const char *name);

/* scripts/kmtls-ca init TD --dir CADIR; 0 or -1. */
int t_ca_init(const char *td, const char *cadir);
/* scripts/kmtls-ca issue ID --ca CADIR --out OUTDIR EXTRA...; 0 or -1. */
int t_ca_issue(const char *id, const char *cadir, const char *outdir,
	       const char *extra);

/* tls_ctx_new() from OUTDIR's three files; NULL on failure (printed). */
SSL_CTX *t_ctx(const char *outdir, const char *suites, const char *local_id);

/* A growable byte queue (one direction of a connection). */
struct t_wire {
	uint8_t *buf;
	size_t len;
};
void t_wire_put(struct t_wire *w, const void *p, size_t len);
/* Length of the whole record at the head, or 0 if there is none yet. */
size_t t_wire_record(const struct t_wire *w);
void t_wire_pop(struct t_wire *w, size_t len);
void t_wire_free(struct t_wire *w);

/*
 * Drive client c and server s until neither can move: each engine's output
 * goes to the other's wire; an engine that wants input gets the next whole
 * record.  Records for an engine that is no longer reading stay on its
 * wire.  feeds counts the records each side was given.
 */
struct t_pump {
	enum tls_state client, server;
	struct t_wire c2s, s2c;
	int client_feeds, server_feeds;
};
void t_pump(struct tls_engine *c, struct tls_engine *s, struct t_pump *p);
void t_pump_free(struct t_pump *p);

/*
 * Decrypt one TLS 1.3 record (rec, len) written with key/iv at record
 * sequence seq (AES-GCM or ChaCha20-Poly1305 by cipher); the inner
 * plaintext (content type stripped) goes to out.  Returns its length and
 * the inner content type in *type, or -1 if the record does not
 * authenticate.
 */
int t_decrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
	      const uint8_t *iv, uint64_t seq, const uint8_t *rec, size_t len,
	      uint8_t *out, uint8_t *type);

#endif /* HANDSHAKED_TESTLIB_H */
