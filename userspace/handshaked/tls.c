// SPDX-License-Identifier: GPL-2.0
/*
 * The per-flow TLS 1.3 engine: OpenSSL over memory BIOs, SPIFFE peer
 * verification, traffic keys for kTLS.  See tls.h.
 *
 * Secrets: OpenSSL reports the traffic secrets through the SSL_CTX's
 * keylog callback (the only way OpenSSL 3.0 hands out both directions'
 * secrets for TLS 1.3); the callback finds its engine with
 * SSL_get_app_data() and keeps CLIENT/SERVER_TRAFFIC_SECRET_0.  Key and IV
 * are derived from them with the TLS13-KDF and the secrets are wiped at
 * once; the engine wipes whatever it still holds when freed.
 *
 * OpenSSL's error queue is per thread and shared by every flow: it is
 * cleared before each step and emptied after a failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/tls.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/x509v3.h>

#include "spiffe.h"
#include "tls.h"

struct tls_engine {
	SSL *ssl;		/* owns rbio and wbio */
	BIO *rbio;		/* peer -> engine */
	BIO *wbio;		/* engine -> peer */
	enum tls_role role;
	enum tls_state state;
	int error;		/* positive errno once TLS_FAILED */
	bool peer_verified;	/* the leaf passed verify_leaf() */
	bool keys_taken;
	char local_td[SPIFFE_TD_MAX_LEN + 1];
	char *peer_id;		/* what the peer's leaf claims, printable */
	char reason[TLS_REASON_MAX];
	uint8_t client_secret[EVP_MAX_MD_SIZE];
	uint8_t server_secret[EVP_MAX_MD_SIZE];
	size_t client_secret_len;
	size_t server_secret_len;
};

static void errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The first error of OpenSSL's queue as text (or fallback); empties it. */
static void openssl_error(char *buf, size_t len, const char *fallback)
{
	unsigned long code = ERR_get_error();

	if (code)
		ERR_error_string_n(code, buf, len);
	else
		snprintf(buf, len, "%s", fallback);
	ERR_clear_error();
}

/* Set the engine's failure reason unless one is set already. */
static void set_reason(struct tls_engine *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_reason(struct tls_engine *e, const char *fmt, ...)
{
	va_list ap;

	if (e->reason[0])
		return;
	va_start(ap, fmt);
	vsnprintf(e->reason, sizeof(e->reason), fmt, ap);
	va_end(ap);
}

/* ---- certificates -------------------------------------------------------- */

/*
 * A malloc'd, NUL-terminated copy of the leaf's first URI SAN (NULL if it
 * has none), its length in *len and the number of URI SANs in *count.
 */
static char *leaf_uri_dup(X509 *leaf, int *count, size_t *len)
{
	GENERAL_NAMES *names;
	char *copy = NULL;
	int i, n = 0;

	*len = 0;
	names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const ASN1_IA5STRING *s;

		if (gn->type != GEN_URI)
			continue;
		if (n++ != 0)
			continue;
		s = gn->d.uniformResourceIdentifier;
		*len = (size_t)ASN1_STRING_length(s);
		copy = malloc(*len + 1);
		if (copy) {
			memcpy(copy, ASN1_STRING_get0_data(s), *len);
			copy[*len] = '\0';
		}
	}
	GENERAL_NAMES_free(names);
	*count = n;
	return copy;
}

/*
 * Check a verified chain's leaf as an X.509 SVID of local_td: not a CA,
 * exactly one URI SAN, a well-formed SPIFFE ID, in our trust domain.  0 or
 * -1 with the reason set.
 */
static int verify_leaf(struct tls_engine *e, X509 *leaf)
{
	char td[SPIFFE_TD_MAX_LEN + 1];
	char shown[256];
	const char *why;
	size_t len;
	char *uri;
	int count;

	if (X509_check_ca(leaf) != 0) {
		set_reason(e, "peer certificate is a CA certificate, not an SVID");
		return -1;
	}
	uri = leaf_uri_dup(leaf, &count, &len);
	if (count != 1) {
		free(uri);
		set_reason(e, "peer certificate has %d URI SANs, an SVID has exactly one",
			   count);
		return -1;
	}
	if (!uri) {
		set_reason(e, "out of memory");
		return -1;
	}
	free(e->peer_id);
	e->peer_id = malloc(len < 2048 ? len + 1 : 2049);
	if (e->peer_id)
		spiffe_printable(e->peer_id, len < 2048 ? len + 1 : 2049, uri,
				 len);

	if (spiffe_id_parse(uri, len, td, &why)) {
		spiffe_printable(shown, sizeof(shown), uri, len);
		free(uri);
		set_reason(e, "peer URI SAN \"%s\" is not a SPIFFE ID: %s",
			   shown, why);
		return -1;
	}
	free(uri);
	if (strcmp(td, e->local_td) != 0) {
		set_reason(e, "peer trust domain \"%s\" is not ours (\"%s\")",
			   td, e->local_td);
		return -1;
	}
	return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_engine *e = ssl ? SSL_get_app_data(ssl) : NULL;
	int depth = X509_STORE_CTX_get_error_depth(xs);

	if (!e)
		return 0;
	if (!ok) {
		int err = X509_STORE_CTX_get_error(xs);

		set_reason(e, "peer certificate (depth %d) rejected: %s", depth,
			   X509_verify_cert_error_string(err));
		return 0;
	}
	if (depth != 0)
		return 1;
	if (verify_leaf(e, X509_STORE_CTX_get_current_cert(xs))) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
		e->peer_verified = false;
		return 0;
	}
	e->peer_verified = true;
	return 1;
}

/* ---- secrets --------------------------------------------------------------- */

static int unhex(const char *hex, size_t hexlen, uint8_t *out, size_t max)
{
	size_t i;

	if (hexlen % 2 || hexlen / 2 > max)
		return -1;
	for (i = 0; i < hexlen / 2; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(hexlen / 2);
}

/* "LABEL <client random hex> <secret hex>" */
static void keylog_cb(const SSL *ssl, const char *line)
{
	struct tls_engine *e = SSL_get_app_data(ssl);
	const char *random, *secret;
	uint8_t *dst;
	size_t *dst_len;
	int n;

	if (!e)
		return;
	if (strncmp(line, "CLIENT_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = e->client_secret;
		dst_len = &e->client_secret_len;
	} else if (strncmp(line, "SERVER_TRAFFIC_SECRET_0 ", 24) == 0) {
		dst = e->server_secret;
		dst_len = &e->server_secret_len;
	} else {
		return;
	}
	random = line + 24;
	secret = strchr(random, ' ');
	if (!secret)
		return;
	secret++;
	n = unhex(secret, strlen(secret), dst, EVP_MAX_MD_SIZE);
	*dst_len = n > 0 ? (size_t)n : 0;
}

int tls_hkdf_expand_label(const EVP_MD *md, const uint8_t *secret,
			  size_t secret_len, const char *label, uint8_t *out,
			  size_t out_len)
{
	static const char prefix[] = "tls13 ";
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
	OSSL_PARAM params[6];
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ret;

	kdf = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	if (!kdf)
		return -1;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -1;
	params[0] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	params[1] = OSSL_PARAM_construct_utf8_string(
		OSSL_KDF_PARAM_DIGEST, (char *)EVP_MD_get0_name(md), 0);
	params[2] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_KEY, (void *)secret, secret_len);
	params[3] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_PREFIX, (void *)prefix, sizeof(prefix) - 1);
	params[4] = OSSL_PARAM_construct_octet_string(
		OSSL_KDF_PARAM_LABEL, (void *)label, strlen(label));
	params[5] = OSSL_PARAM_construct_end();
	ret = EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -1;
	EVP_KDF_CTX_free(kctx);
	return ret;
}

/* The kTLS cipher and key length of a TLS 1.3 suite; -1 if kTLS has none. */
static int ktls_cipher(const SSL_CIPHER *c, uint16_t *type, size_t *key_len)
{
	switch (SSL_CIPHER_get_id(c) & 0xffff) {
	case 0x1301:	/* TLS_AES_128_GCM_SHA256 */
		*type = TLS_CIPHER_AES_GCM_128;
		*key_len = 16;
		return 0;
	case 0x1302:	/* TLS_AES_256_GCM_SHA384 */
		*type = TLS_CIPHER_AES_GCM_256;
		*key_len = 32;
		return 0;
	case 0x1303:	/* TLS_CHACHA20_POLY1305_SHA256 */
		*type = TLS_CIPHER_CHACHA20_POLY1305;
		*key_len = 32;
		return 0;
	}
	return -1;
}

void tls_keys_wipe(struct tls_keys *keys)
{
	OPENSSL_cleanse(keys, sizeof(*keys));
}

static void wipe_secrets(struct tls_engine *e)
{
	OPENSSL_cleanse(e->client_secret, sizeof(e->client_secret));
	OPENSSL_cleanse(e->server_secret, sizeof(e->server_secret));
	e->client_secret_len = 0;
	e->server_secret_len = 0;
}

int tls_engine_keys(struct tls_engine *e, struct tls_keys *keys)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(e->ssl);
	const uint8_t *tx, *rx;
	const EVP_MD *md;
	size_t md_len;
	int ret = -1;

	memset(keys, 0, sizeof(*keys));
	if (e->state != TLS_DONE || e->keys_taken || !c)
		goto out;
	if (ktls_cipher(c, &keys->cipher, &keys->key_len))
		goto out;
	md = SSL_CIPHER_get_handshake_digest(c);
	if (!md)
		goto out;
	md_len = (size_t)EVP_MD_get_size(md);
	if (e->client_secret_len != md_len || e->server_secret_len != md_len)
		goto out;
	tx = e->role == TLS_ROLE_CLIENT ? e->client_secret : e->server_secret;
	rx = e->role == TLS_ROLE_CLIENT ? e->server_secret : e->client_secret;
	if (tls_hkdf_expand_label(md, tx, md_len, "key", keys->tx_key,
				  keys->key_len) ||
	    tls_hkdf_expand_label(md, tx, md_len, "iv", keys->tx_iv,
				  TLS_IV_LEN) ||
	    tls_hkdf_expand_label(md, rx, md_len, "key", keys->rx_key,
				  keys->key_len) ||
	    tls_hkdf_expand_label(md, rx, md_len, "iv", keys->rx_iv,
				  TLS_IV_LEN))
		goto out;
	ret = 0;
out:
	if (ret)
		tls_keys_wipe(keys);
	ERR_clear_error();
	e->keys_taken = true;
	wipe_secrets(e);
	return ret;
}

/* ---- SSL_CTX --------------------------------------------------------------- */

int tls_check_ciphersuites(const char *list, char *err, size_t errlen)
{
	const char *p = list, *end;
	size_t n;

	if (!*list) {
		errf(err, errlen, "empty cipher suite list");
		return -1;
	}
	for (;;) {
		end = strchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (!((n == 22 && !strncmp(p, "TLS_AES_128_GCM_SHA256", n)) ||
		      (n == 22 && !strncmp(p, "TLS_AES_256_GCM_SHA384", n)) ||
		      (n == 28 && !strncmp(p, "TLS_CHACHA20_POLY1305_SHA256", n)))) {
			errf(err, errlen,
			     "cipher suite \"%.*s\" is not one of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256",
			     (int)(n > 64 ? 64 : n), p);
			return -1;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* The local leaf must carry exactly local_id. */
static int check_own_id(SSL_CTX *ctx, const char *svid_pem,
			const char *local_id, char *err, size_t errlen)
{
	X509 *leaf = SSL_CTX_get0_certificate(ctx);
	char shown[256];
	size_t len;
	char *uri;
	int count;

	if (!leaf) {
		errf(err, errlen, "%s: no certificate", svid_pem);
		return -1;
	}
	uri = leaf_uri_dup(leaf, &count, &len);
	if (count != 1 || !uri) {
		free(uri);
		errf(err, errlen, "%s: the certificate has %d URI SANs, an SVID has exactly one",
		     svid_pem, count);
		return -1;
	}
	if (len != strlen(local_id) || memcmp(uri, local_id, len) != 0) {
		spiffe_printable(shown, sizeof(shown), uri, len);
		free(uri);
		errf(err, errlen, "%s: the certificate is for \"%s\", not \"%s\"",
		     svid_pem, shown, local_id);
		return -1;
	}
	free(uri);
	return 0;
}

SSL_CTX *tls_ctx_new(const char *svid_pem, const char *key_pem,
		     const char *bundle_pem, const char *ciphersuites,
		     const char *local_id, char *err, size_t errlen)
{
	char why[256];
	SSL_CTX *ctx;

	ERR_clear_error();
	ctx = SSL_CTX_new(TLS_method());
	if (!ctx) {
		openssl_error(why, sizeof(why), "SSL_CTX_new failed");
		errf(err, errlen, "%s", why);
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, ciphersuites ? ciphersuites
						       : HS_DEFAULT_CIPHERSUITES) ||
	    !SSL_CTX_set1_groups_list(ctx, HS_GROUPS) ||
	    !SSL_CTX_set_num_tickets(ctx, 0)) {
		openssl_error(why, sizeof(why), "bad TLS settings");
		errf(err, errlen, "TLS settings: %s", why);
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* Read-ahead stays off: the engine must not read past Finished. */
	SSL_CTX_set_read_ahead(ctx, 0);
	/* Send svid.pem's chain as it is, not one rebuilt from the bundle
	 * (the peer has the roots). */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_NO_AUTO_CHAIN);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_keylog_callback(ctx, keylog_cb);

	if (SSL_CTX_use_certificate_chain_file(ctx, svid_pem) != 1) {
		openssl_error(why, sizeof(why), "cannot load");
		errf(err, errlen, "%s: %s", svid_pem, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_pem, SSL_FILETYPE_PEM) != 1) {
		openssl_error(why, sizeof(why), "cannot load");
		errf(err, errlen, "%s: %s", key_pem, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		openssl_error(why, sizeof(why), "key does not match");
		errf(err, errlen, "%s does not match %s: %s", key_pem, svid_pem,
		     why);
		goto fail;
	}
	if (SSL_CTX_load_verify_file(ctx, bundle_pem) != 1) {
		openssl_error(why, sizeof(why), "cannot load");
		errf(err, errlen, "%s: %s", bundle_pem, why);
		goto fail;
	}
	if (local_id && check_own_id(ctx, svid_pem, local_id, err, errlen))
		goto fail;
	ERR_clear_error();
	return ctx;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}

/* ---- the engine ------------------------------------------------------------ */

struct tls_engine *tls_engine_new(SSL_CTX *ctx, enum tls_role role,
				  const char *local_id, char *err,
				  size_t errlen)
{
	struct tls_engine *e;
	const char *why;

	if (role != TLS_ROLE_CLIENT && role != TLS_ROLE_SERVER) {
		errf(err, errlen, "bad role %d", (int)role);
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (spiffe_id_check(local_id, e->local_td, &why)) {
		errf(err, errlen, "local id \"%s\" is not a SPIFFE ID: %s",
		     local_id, why);
		free(e);
		return NULL;
	}
	ERR_clear_error();
	e->role = role;
	e->ssl = SSL_new(ctx);
	e->rbio = BIO_new(BIO_s_mem());
	e->wbio = BIO_new(BIO_s_mem());
	if (!e->ssl || !e->rbio || !e->wbio) {
		BIO_free(e->rbio);
		BIO_free(e->wbio);
		SSL_free(e->ssl);
		free(e);
		ERR_clear_error();
		errf(err, errlen, "out of memory");
		return NULL;
	}
	/* An empty read BIO means "wait for more", never end of file. */
	BIO_set_mem_eof_return(e->rbio, -1);
	SSL_set_bio(e->ssl, e->rbio, e->wbio);
	SSL_set_app_data(e->ssl, e);
	if (role == TLS_ROLE_CLIENT)
		SSL_set_connect_state(e->ssl);
	else
		SSL_set_accept_state(e->ssl);
	e->state = TLS_WANT_READ;
	return e;
}

void tls_engine_free(struct tls_engine *e)
{
	if (!e)
		return;
	wipe_secrets(e);
	SSL_free(e->ssl);
	free(e->peer_id);
	free(e);
}

static enum tls_state fail(struct tls_engine *e, int ssl_err)
{
	char why[256];

	switch (ssl_err) {
	case SSL_ERROR_ZERO_RETURN:
		set_reason(e, "the peer closed the connection (close_notify)");
		break;
	case SSL_ERROR_SYSCALL:
		openssl_error(why, sizeof(why), "unexpected end of the handshake");
		set_reason(e, "%s", why);
		break;
	default:
		openssl_error(why, sizeof(why), "TLS error");
		set_reason(e, "%s", why);
		break;
	}
	ERR_clear_error();
	e->error = ECONNREFUSED;
	e->state = TLS_FAILED;
	wipe_secrets(e);
	return e->state;
}

static enum tls_state run(struct tls_engine *e)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(e->ssl);
	if (r == 1) {
		/* Belt and braces: verify_cb ran on the leaf and accepted it. */
		if (!e->peer_verified || !SSL_get0_peer_certificate(e->ssl) ||
		    SSL_get_verify_result(e->ssl) != X509_V_OK) {
			set_reason(e, "handshake ended without a verified peer certificate");
			return fail(e, SSL_ERROR_SSL);
		}
		e->state = TLS_DONE;
		return e->state;
	}
	r = SSL_get_error(e->ssl, r);
	if (r == SSL_ERROR_WANT_READ) {
		e->state = TLS_WANT_READ;
		return e->state;
	}
	return fail(e, r);
}

enum tls_state tls_engine_start(struct tls_engine *e)
{
	return run(e);
}

enum tls_state tls_engine_feed(struct tls_engine *e, const void *buf,
			       size_t len)
{
	if (e->state != TLS_WANT_READ)
		return e->state;
	if (len > INT32_MAX || BIO_write(e->rbio, buf, (int)len) != (int)len) {
		set_reason(e, "cannot buffer %zu bytes of input", len);
		return fail(e, SSL_ERROR_SSL);
	}
	return run(e);
}

enum tls_state tls_engine_state(const struct tls_engine *e)
{
	return e->state;
}

const uint8_t *tls_engine_output(struct tls_engine *e, size_t *len)
{
	char *p = NULL;
	long n = BIO_get_mem_data(e->wbio, &p);

	*len = n > 0 ? (size_t)n : 0;
	return (const uint8_t *)p;
}

void tls_engine_output_clear(struct tls_engine *e)
{
	(void)BIO_reset(e->wbio);
}

size_t tls_engine_unread(const struct tls_engine *e)
{
	return BIO_ctrl_pending(e->rbio);
}

int tls_engine_error(const struct tls_engine *e)
{
	return e->error;
}

const char *tls_engine_reason(const struct tls_engine *e)
{
	return e->reason;
}

const char *tls_engine_peer_id(const struct tls_engine *e)
{
	return e->peer_id ? e->peer_id : "";
}

const char *tls_engine_cipher_name(const struct tls_engine *e)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(e->ssl);

	return c ? SSL_CIPHER_get_name(c) : "";
}

SSL *tls_engine_ssl(struct tls_engine *e)
{
	return e->ssl;
}
