// SPDX-License-Identifier: GPL-2.0
/* Helpers shared by the unit tests.  See testlib.h. */
#include <linux/tls.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

#ifndef KMTLS_CA
#define KMTLS_CA "../../scripts/kmtls-ca"
#endif

static char tmpdir[256];

static void rm_tmpdir(void)
{
	char cmd[300];

	if (!tmpdir[0] || getenv("KEEP_TMP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

const char *t_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/handshaked-test.XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		exit(99);
	}
	atexit(rm_tmpdir);
	return tmpdir;
}

const char *t_path(const char *dir, const char *name)
{
	static char bufs[8][1024];
	static int n;
	char *b = bufs[n++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static int run(const char *cmd)
{
	int ret = system(cmd);

	if (ret != 0)
		fprintf(stderr, "# command failed (%d): %s\n", ret, cmd);
	return ret == 0 ? 0 : -1;
}

int t_ca_init(const char *td, const char *cadir)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "%s init '%s' --dir '%s' >/dev/null 2>&1",
		 KMTLS_CA, td, cadir);
	return run(cmd);
}

int t_ca_issue(const char *id, const char *cadir, const char *outdir,
	       const char *extra)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd),
		 "%s issue '%s' --ca '%s' --out '%s' %s >/dev/null 2>&1",
		 KMTLS_CA, id, cadir, outdir, extra ? extra : "");
	return run(cmd);
}

SSL_CTX *t_ctx(const char *outdir, const char *suites, const char *local_id)
{
	char err[512];
	SSL_CTX *ctx;

	ctx = tls_ctx_new(t_path(outdir, "svid.pem"),
			  t_path(outdir, "svid_key.pem"),
			  t_path(outdir, "bundle.pem"), suites, local_id, err,
			  sizeof(err));
	if (!ctx)
		printf("# tls_ctx_new(%s): %s\n", outdir, err);
	return ctx;
}

void t_wire_put(struct t_wire *w, const void *p, size_t len)
{
	if (!len)
		return;
	w->buf = realloc(w->buf, w->len + len);
	if (!w->buf)
		abort();
	memcpy(w->buf + w->len, p, len);
	w->len += len;
}

size_t t_wire_record(const struct t_wire *w)
{
	size_t n;

	if (w->len < 5)
		return 0;
	n = 5 + ((size_t)w->buf[3] << 8 | w->buf[4]);
	return n <= w->len ? n : 0;
}

void t_wire_pop(struct t_wire *w, size_t len)
{
	memmove(w->buf, w->buf + len, w->len - len);
	w->len -= len;
}

void t_wire_free(struct t_wire *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = 0;
}

static void drain(struct tls_engine *e, struct t_wire *w)
{
	const uint8_t *out;
	size_t len;

	out = tls_engine_output(e, &len);
	t_wire_put(w, out, len);
	tls_engine_output_clear(e);
}

void t_pump(struct tls_engine *c, struct tls_engine *s, struct t_pump *p)
{
	bool moved = true;
	size_t n;

	memset(p, 0, sizeof(*p));
	p->server = tls_engine_start(s);
	p->client = tls_engine_start(c);
	while (moved) {
		moved = false;
		drain(c, &p->c2s);
		drain(s, &p->s2c);
		if (p->server == TLS_WANT_READ && (n = t_wire_record(&p->c2s))) {
			p->server = tls_engine_feed(s, p->c2s.buf, n);
			p->server_feeds++;
			t_wire_pop(&p->c2s, n);
			moved = true;
		}
		drain(s, &p->s2c);
		if (p->client == TLS_WANT_READ && (n = t_wire_record(&p->s2c))) {
			p->client = tls_engine_feed(c, p->s2c.buf, n);
			p->client_feeds++;
			t_wire_pop(&p->s2c, n);
			moved = true;
		}
	}
}

void t_pump_free(struct t_pump *p)
{
	t_wire_free(&p->c2s);
	t_wire_free(&p->s2c);
}

int t_decrypt(uint16_t cipher, const uint8_t *key, size_t key_len,
	      const uint8_t *iv, uint64_t seq, const uint8_t *rec, size_t len,
	      uint8_t *out, uint8_t *type)
{
	const EVP_CIPHER *evp;
	uint8_t nonce[12];
	EVP_CIPHER_CTX *ctx;
	int n, m, i, ret = -1;
	size_t body;

	switch (cipher) {
	case TLS_CIPHER_AES_GCM_128:
		evp = EVP_aes_128_gcm();
		break;
	case TLS_CIPHER_AES_GCM_256:
		evp = EVP_aes_256_gcm();
		break;
	case TLS_CIPHER_CHACHA20_POLY1305:
		evp = EVP_chacha20_poly1305();
		break;
	default:
		return -1;
	}
	if ((size_t)EVP_CIPHER_get_key_length(evp) != key_len || len < 5 + 17)
		return -1;
	body = len - 5 - 16;
	/* RFC 8446 5.3: the IV XOR the 64-bit sequence number, right-aligned. */
	memcpy(nonce, iv, 12);
	for (i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));

	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	if (EVP_DecryptInit_ex(ctx, evp, NULL, NULL, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, rec, 5) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, rec + 5, (int)body) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16,
				(void *)(rec + 5 + body)) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &m) != 1)
		goto out;
	n += m;
	/* Strip zero padding; the last non-zero byte is the content type. */
	while (n > 0 && out[n - 1] == 0)
		n--;
	if (n == 0)
		goto out;
	*type = out[--n];
	ret = n;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}
