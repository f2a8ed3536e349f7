// SPDX-License-Identifier: GPL-2.0
/*
 * The SVID store: the layout DIR/TD/PATH/, the own-ID check, reload when
 * the files change (at most once a second, or at once after
 * svid_store_reload_all()), a broken new file set keeping the old SVID,
 * and handshakes in flight keeping the SVID they started with.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../kmtls/tests/tap.h"
#include "log.h"
#include "svid.h"
#include "testlib.h"
#include "tls.h"

#define WEB_ID		"spiffe://a.test/ns/prod/web"
#define DB_ID		"spiffe://a.test/ns/prod/db"

static const char *dir, *store_dir, *ca;

static bool contains(const char *s, const char *what)
{
	return s && strstr(s, what);
}

/* Issue id into the store's layout. */
static int issue(const char *id, const char *extra)
{
	char out[1024];

	snprintf(out, sizeof(out), "%s/%s", store_dir, id + 9);
	return t_ca_issue(id, ca, out, extra);
}

static int write_file(const char *id, const char *name, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", store_dir, id + 9, name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* A handshake between an engine from cctx (client) and one from sctx. */
static bool handshake(SSL_CTX *cctx, const char *cid, SSL_CTX *sctx,
		      const char *sid, X509 **server_cert_seen)
{
	struct tls_engine *c = tls_engine_new(cctx, TLS_ROLE_CLIENT, cid, NULL, 0);
	struct tls_engine *s = tls_engine_new(sctx, TLS_ROLE_SERVER, sid, NULL, 0);
	struct t_pump p;
	bool done = false;

	if (c && s) {
		t_pump(c, s, &p);
		done = p.client == TLS_DONE && p.server == TLS_DONE;
		if (server_cert_seen) {
			*server_cert_seen = SSL_get1_peer_certificate(tls_engine_ssl(c));
		}
		t_pump_free(&p);
	}
	tls_engine_free(c);
	tls_engine_free(s);
	return done;
}

int main(void)
{
	struct tls_engine *inflight_c, *inflight_s;
	struct svid_store *st;
	SSL_CTX *web1, *web2, *db, *ctx;
	X509 *cert1, *seen = NULL;
	uint64_t now = 1000000;
	char err[512];
	struct t_pump p;

	dir = t_tmpdir();
	store_dir = t_path(dir, "svid");
	ca = t_path(dir, "ca");
	if (t_ca_init("a.test", ca) || issue(WEB_ID, NULL) || issue(DB_ID, NULL)) {
		ok(false, "test certificates");
		return tap_done();
	}
	st = svid_store_new(store_dir, NULL);

	web1 = svid_store_get(st, WEB_ID, now, err, sizeof(err));
	ok(web1 != NULL, "loads DIR/a.test/ns/prod/web/ (%s)", web1 ? "" : err);
	db = svid_store_get(st, DB_ID, now, err, sizeof(err));
	ok(db != NULL && db != web1, "a second identity has its own SSL_CTX");
	is_int((long long)svid_store_count(st), 2, "two identities known");
	ok(svid_store_get(st, WEB_ID, now + 10, err, sizeof(err)) == web1,
	   "the same SSL_CTX on the next use");
	ok(web1 && db && handshake(web1, WEB_ID, db, DB_ID, NULL),
	   "the two identities complete a handshake");

	ctx = svid_store_get(st, "spiffe://a.test/ns/prod/none", now, err, sizeof(err));
	ok(!ctx && contains(err, "no SVID: ") &&
	   contains(err, "/svid/a.test/ns/prod/none/svid.pem: No such file"),
	   "no SVID: NULL and why (%s)", err);
	ctx = svid_store_get(st, "spiffe://a.test/../../etc", now, err, sizeof(err));
	ok(!ctx && contains(err, "not a SPIFFE ID"),
	   "a local ID with \"..\" never becomes a path (%s)", err);

	/* Wrong ID in the files of an identity. */
	if (t_ca_issue(WEB_ID, ca, t_path(store_dir, "a.test/ns/prod/wrong"), NULL))
		ok(false, "issue");
	ctx = svid_store_get(st, "spiffe://a.test/ns/prod/wrong", now, err, sizeof(err));
	ok(!ctx && contains(err, "is for \"" WEB_ID "\""),
	   "svid.pem for another ID is refused (%s)", err);

	/* An engine in flight on the first SVID. */
	inflight_c = tls_engine_new(web1, TLS_ROLE_CLIENT, WEB_ID, NULL, 0);
	inflight_s = tls_engine_new(db, TLS_ROLE_SERVER, DB_ID, NULL, 0);
	cert1 = X509_dup(SSL_CTX_get0_certificate(web1));

	/* Replace web's files. */
	ok(issue(WEB_ID, NULL) == 0, "web's SVID renewed on disk");
	ok(svid_store_get(st, WEB_ID, now + 500, err, sizeof(err)) == web1,
	   "within a second the files are not looked at");
	web2 = svid_store_get(st, WEB_ID, now + 1000, err, sizeof(err));
	ok(web2 && web2 != web1, "after a second the new files are loaded");
	ok(web2 && X509_cmp(SSL_CTX_get0_certificate(web2), cert1) != 0,
	   "with the new certificate");
	ok(web2 && handshake(db, DB_ID, web2, WEB_ID, &seen) && seen &&
	   X509_cmp(seen, SSL_CTX_get0_certificate(web2)) == 0,
	   "a new handshake shows the peer the new certificate");
	X509_free(seen);

	/* The engine made before the reload still runs on the old SSL_CTX
	 * (freed by the store; kept alive by the engine's reference). */
	t_pump(inflight_c, inflight_s, &p);
	ok(p.client == TLS_DONE && p.server == TLS_DONE,
	   "a handshake in flight finishes on the old SVID");
	seen = SSL_get1_peer_certificate(tls_engine_ssl(inflight_s));
	ok(seen && X509_cmp(seen, cert1) == 0, "with the old certificate");
	X509_free(seen);
	t_pump_free(&p);
	tls_engine_free(inflight_c);
	tls_engine_free(inflight_s);

	/* A broken new file set keeps the old SVID. */
	write_file(WEB_ID, "svid_key.pem", "not a key\n");
	ctx = svid_store_get(st, WEB_ID, now + 2000, err, sizeof(err));
	ok(ctx == web2, "a broken key file keeps the previous SVID");
	ok(ctx && handshake(db, DB_ID, ctx, WEB_ID, NULL),
	   "which still works");
	ctx = svid_store_get(st, WEB_ID, now + 3000, err, sizeof(err));
	ok(ctx == web2, "and is not tried again while the files stay the same");

	/* Fixed files: loaded again. */
	ok(issue(WEB_ID, NULL) == 0, "web's SVID repaired on disk");
	ctx = svid_store_get(st, WEB_ID, now + 4000, err, sizeof(err));
	ok(ctx && ctx != web2, "the repaired files are loaded");

	/* SIGHUP: reload at once, even within the second and unchanged. */
	web2 = ctx;
	svid_store_reload_all(st);
	ctx = svid_store_get(st, WEB_ID, now + 4001, err, sizeof(err));
	ok(ctx && ctx != web2, "reload_all loads again at once");

	/* Files removed: the loaded SVID stays (broken new file set). */
	web2 = ctx;
	remove(t_path(t_path(store_dir, "a.test/ns/prod/db"), "bundle.pem"));
	ctx = svid_store_get(st, DB_ID, now + 10000, err, sizeof(err));
	ok(ctx == db, "a removed file keeps the loaded SVID");

	/* A fresh store with a broken identity: NULL with the reason. */
	svid_store_free(st);
	st = svid_store_new(store_dir, NULL);
	ctx = svid_store_get(st, DB_ID, now, err, sizeof(err));
	ok(!ctx && contains(err, "bundle.pem"), "a missing bundle is named (%s)", err);
	ctx = svid_store_get(st, WEB_ID, now, err, sizeof(err));
	ok(ctx != NULL, "web loads in a fresh store");
	svid_store_free(st);

	/* A store with one cipher suite makes SSL_CTXs that offer only it. */
	st = svid_store_new(store_dir, "TLS_CHACHA20_POLY1305_SHA256");
	ctx = svid_store_get(st, WEB_ID, now, err, sizeof(err));
	ok(ctx && SSL_CTX_get_ciphers(ctx) &&
	   sk_SSL_CIPHER_num(SSL_CTX_get_ciphers(ctx)) >= 1 &&
	   strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(SSL_CTX_get_ciphers(ctx), 0)),
		  "TLS_CHACHA20_POLY1305_SHA256") == 0,
	   "--ciphersuites reaches the SSL_CTX");
	svid_store_free(st);
	X509_free(cert1);
	return tap_done();
}
