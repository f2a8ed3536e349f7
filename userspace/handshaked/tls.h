/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TLS 1.3 engine: one OpenSSL SSL per flow on two memory BIOs, with
 * mutual authentication by SPIFFE ID and the traffic keys for kTLS.  It
 * knows nothing of netlink: bytes go in with tls_engine_feed() and come out
 * with tls_engine_output(), so two engines can be driven against each other
 * in memory (the unit tests do).
 *
 * Ownership
 *   tls_ctx_new() returns an SSL_CTX the caller owns (SSL_CTX_free()).  An
 *   engine takes its own reference on the SSL_CTX it is made from (through
 *   SSL_new()), so the caller may free or replace its SSL_CTX while engines
 *   made from it still run.  tls_engine_new() returns an engine the caller
 *   frees with tls_engine_free(), which also wipes the secrets it holds.
 *   Strings returned by tls_engine_*() belong to the engine.
 *
 * Driving an engine
 *   state = tls_engine_start(e)           client: ClientHello is output
 *   loop:
 *     send tls_engine_output() to the peer, then tls_engine_output_clear()
 *     TLS_WANT_READ: get one record from the peer, state = tls_engine_feed()
 *     TLS_DONE:      tls_engine_keys(), tls_engine_peer_id()
 *     TLS_FAILED:    tls_engine_error() (an errno), tls_engine_reason();
 *                    the output may hold an alert for the peer
 *   The engine reads no byte past the peer's Finished: input it was fed
 *   but did not need stays unread (tls_engine_unread()).
 */
#ifndef HANDSHAKED_TLS_H
#define HANDSHAKED_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TLS_KEY_MAX_LEN		32
#define TLS_IV_LEN		12
#define TLS_REASON_MAX		512

/* The default and only allowed TLS 1.3 cipher suites. */
#define HS_DEFAULT_CIPHERSUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"
#define HS_GROUPS		"X25519:P-256"

enum tls_role {
	TLS_ROLE_CLIENT = 1,
	TLS_ROLE_SERVER,
};

enum tls_state {
	TLS_WANT_READ = 1,	/* send the output, then feed the next record */
	TLS_DONE,		/* send the output; keys and peer id are ready */
	TLS_FAILED,		/* send the output (an alert, maybe); give up */
};

/* What kTLS needs for one connection. */
struct tls_keys {
	uint16_t cipher;	/* TLS_CIPHER_* of linux/tls.h */
	size_t key_len;		/* 16 or 32 */
	uint8_t tx_key[TLS_KEY_MAX_LEN];	/* this side's write direction */
	uint8_t tx_iv[TLS_IV_LEN];
	uint8_t rx_key[TLS_KEY_MAX_LEN];	/* the peer's write direction */
	uint8_t rx_iv[TLS_IV_LEN];
};

struct tls_engine;

/*
 * Check a cipher suite list: every entry one of HS_DEFAULT_CIPHERSUITES
 * (kTLS has no other TLS 1.3 cipher that all test kernels carry).  0 or -1
 * with a message in err.
 */
int tls_check_ciphersuites(const char *list, char *err, size_t errlen);

/*
 * An SSL_CTX for one local identity: TLS 1.3 only, mutual authentication,
 * no tickets, the given cipher suites (NULL: the default), the certificate
 * chain of svid_pem with the key of key_pem, the trust bundle of
 * bundle_pem.  When local_id is not NULL the leaf's single URI SAN must be
 * exactly local_id.  NULL with a message in err on failure.
 */
SSL_CTX *tls_ctx_new(const char *svid_pem, const char *key_pem,
		     const char *bundle_pem, const char *ciphersuites,
		     const char *local_id, char *err, size_t errlen);

/*
 * A new engine for one handshake in role, as local_id (a SPIFFE ID: the
 * peer must be in its trust domain).  NULL with a message in err.
 */
struct tls_engine *tls_engine_new(SSL_CTX *ctx, enum tls_role role,
				  const char *local_id, char *err,
				  size_t errlen);
void tls_engine_free(struct tls_engine *e);

/* Begin: a client writes its ClientHello; a server waits for one. */
enum tls_state tls_engine_start(struct tls_engine *e);

/* Give the engine bytes from the peer (one TLS record) and run it. */
enum tls_state tls_engine_feed(struct tls_engine *e, const void *buf,
			       size_t len);

/* The engine's state: what the last start/feed returned. */
enum tls_state tls_engine_state(const struct tls_engine *e);

/* Bytes to send to the peer (whole TLS records), valid until ..._clear(). */
const uint8_t *tls_engine_output(struct tls_engine *e, size_t *len);
void tls_engine_output_clear(struct tls_engine *e);

/* Bytes fed but not consumed. */
size_t tls_engine_unread(const struct tls_engine *e);

/* After TLS_FAILED: a positive errno (ECONNREFUSED) and why, for the log. */
int tls_engine_error(const struct tls_engine *e);
const char *tls_engine_reason(const struct tls_engine *e);

/*
 * The peer's SPIFFE ID: verified after TLS_DONE; before that, or after a
 * failure, what the peer's certificate claimed (for logs; "" if unknown).
 */
const char *tls_engine_peer_id(const struct tls_engine *e);

/* The negotiated cipher suite's name, or "". */
const char *tls_engine_cipher_name(const struct tls_engine *e);

/*
 * After TLS_DONE: derive both directions' key and IV into keys and wipe the
 * traffic secrets.  0, or -1 (not done, secrets missing, or the key
 * derivation failed).  Callable once.
 */
int tls_engine_keys(struct tls_engine *e, struct tls_keys *keys);

/* Wipe keys. */
void tls_keys_wipe(struct tls_keys *keys);

/*
 * HKDF-Expand-Label(secret, label, "", out_len) of RFC 8446 section 7.1,
 * through OpenSSL's TLS13-KDF.  0 or -1.
 */
int tls_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
			  size_t secret_len, const char *label, uint8_t *out,
			  size_t out_len);

/* The engine's SSL, for tests (SSL_write after the handshake, say). */
SSL *tls_engine_ssl(struct tls_engine *e);

#endif /* HANDSHAKED_TLS_H */
