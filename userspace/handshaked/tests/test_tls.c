// SPDX-License-Identifier: GPL-2.0
/*
 * The TLS engine: two engines, client and server, run handshakes against
 * each other in memory, one record at a time as the kernel relays them.
 * Keys are checked by decrypting records OpenSSL itself wrote after the
 * handshake; failures by the side that must refuse and its reason.
 */
#include <errno.h>
#include <linux/tls.h>
#include <string.h>

#include "../../kmtls/tests/tap.h"
#include "testlib.h"
#include "tls.h"

#define CLIENT_ID	"spiffe://a.test/ns/app/client"
#define SERVER_ID	"spiffe://a.test/ns/app/server"

static const char *dir;

static struct tls_engine *engine(SSL_CTX *ctx, enum tls_role role,
				 const char *id)
{
	char err[256];
	struct tls_engine *e = tls_engine_new(ctx, role, id, err, sizeof(err));

	if (!e)
		printf("# tls_engine_new: %s\n", err);
	return e;
}

static bool contains(const char *s, const char *what)
{
	return s && strstr(s, what);
}

/* A record of type 0x17 written by ssl after the handshake, seq 0. */
static size_t app_record(struct tls_engine *e, const char *msg, uint8_t *rec,
			 size_t max)
{
	const uint8_t *out;
	size_t len;

	tls_engine_output_clear(e);
	if (SSL_write(tls_engine_ssl(e), msg, (int)strlen(msg)) !=
	    (int)strlen(msg))
		return 0;
	out = tls_engine_output(e, &len);
	if (len > max || len < 5 || out[0] != 0x17)
		return 0;
	memcpy(rec, out, len);
	tls_engine_output_clear(e);
	return len;
}

static void test_suite(const char *suite, uint16_t cipher, size_t key_len)
{
	SSL_CTX *cctx = t_ctx(t_path(dir, "client"), suite, CLIENT_ID);
	SSL_CTX *sctx = t_ctx(t_path(dir, "server"), suite, SERVER_ID);
	struct tls_engine *c = engine(cctx, TLS_ROLE_CLIENT, CLIENT_ID);
	struct tls_engine *s = engine(sctx, TLS_ROLE_SERVER, SERVER_ID);
	struct tls_keys ck, sk;
	uint8_t rec[256], plain[256], type;
	struct t_pump p;
	size_t len;
	int n;

	if (!ok(cctx && sctx && c && s, "%s: engines", suite))
		goto out;
	t_pump(c, s, &p);
	ok(p.client == TLS_DONE && p.server == TLS_DONE,
	   "%s: both sides complete (client %d, server %d; %s / %s)", suite,
	   p.client, p.server, tls_engine_reason(c), tls_engine_reason(s));
	is_str(tls_engine_cipher_name(c), suite, "negotiated the forced suite");
	is_str(tls_engine_peer_id(c), SERVER_ID, "client sees the server's ID");
	is_str(tls_engine_peer_id(s), CLIENT_ID, "server sees the client's ID");
	ok(p.c2s.len == 0 && p.s2c.len == 0 && tls_engine_unread(c) == 0 &&
	   tls_engine_unread(s) == 0, "nothing left over on either side");

	ok(tls_engine_keys(c, &ck) == 0 && tls_engine_keys(s, &sk) == 0,
	   "%s: keys derived", suite);
	is_int(ck.cipher, cipher, "client cipher type");
	is_int(sk.cipher, cipher, "server cipher type");
	is_int((long long)ck.key_len, (long long)key_len, "key length");
	ok(memcmp(ck.tx_key, sk.rx_key, key_len) == 0 &&
	   memcmp(ck.tx_iv, sk.rx_iv, TLS_IV_LEN) == 0,
	   "client TX key/iv == server RX key/iv");
	ok(memcmp(ck.rx_key, sk.tx_key, key_len) == 0 &&
	   memcmp(ck.rx_iv, sk.tx_iv, TLS_IV_LEN) == 0,
	   "client RX key/iv == server TX key/iv");
	ok(memcmp(ck.tx_key, ck.rx_key, key_len) != 0,
	   "the two directions differ");
	ok(tls_engine_keys(c, &ck) == -1, "keys can be taken only once");

	/* OpenSSL's own record layer wrote these: our keys must open them. */
	tls_engine_keys(c, &ck);	/* wiped by the failed call; redo */
	len = app_record(c, "client to server", rec, sizeof(rec));
	n = t_decrypt(sk.cipher, sk.rx_key, sk.key_len, sk.rx_iv, 0, rec, len,
		      plain, &type);
	ok(n == 16 && type == 0x17 && memcmp(plain, "client to server", 16) == 0,
	   "%s: server RX key decrypts the client's first record", suite);
	n = t_decrypt(sk.cipher, sk.tx_key, sk.key_len, sk.tx_iv, 0, rec, len,
		      plain, &type);
	ok(n == -1, "and the wrong direction's key does not");
	n = t_decrypt(sk.cipher, sk.rx_key, sk.key_len, sk.rx_iv, 1, rec, len,
		      plain, &type);
	ok(n == -1, "nor the wrong sequence number");
	len = app_record(s, "server to client!", rec, sizeof(rec));
	/* The client's keys were wiped by the second tls_engine_keys():
	 * the server's TX equals the client's RX (checked above). */
	n = t_decrypt(sk.cipher, sk.tx_key, sk.key_len, sk.tx_iv, 0, rec, len,
		      plain, &type);
	ok(n == 17 && type == 0x17 && memcmp(plain, "server to client!", 17) == 0,
	   "%s: client RX key (= server TX) decrypts the server's first record",
	   suite);
	t_pump_free(&p);
	tls_keys_wipe(&ck);
	tls_keys_wipe(&sk);
out:
	tls_engine_free(c);
	tls_engine_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

/*
 * A handshake that must fail: client cert from cdir, server cert from sdir
 * (their local IDs; both SSL_CTXs built without the own-ID check when
 * check_own is false, so that a certificate can claim another ID).  Returns the pump result in *p (caller frees).
 */
static void run_fail(const char *cdir, const char *sdir, const char *client_id,
		     const char *server_id, bool check_own, struct t_pump *p,
		     char *creason, char *sreason, int *cerr, int *serr)
{
	SSL_CTX *cctx = t_ctx(t_path(dir, cdir), NULL,
			      check_own ? client_id : NULL);
	SSL_CTX *sctx = t_ctx(t_path(dir, sdir), NULL,
			      check_own ? server_id : NULL);
	struct tls_engine *c = NULL, *s = NULL;

	memset(p, 0, sizeof(*p));
	creason[0] = sreason[0] = '\0';
	*cerr = *serr = 0;
	if (cctx && sctx) {
		c = engine(cctx, TLS_ROLE_CLIENT, client_id);
		s = engine(sctx, TLS_ROLE_SERVER, server_id);
	}
	if (c && s) {
		t_pump(c, s, p);
		snprintf(creason, TLS_REASON_MAX, "%s", tls_engine_reason(c));
		snprintf(sreason, TLS_REASON_MAX, "%s", tls_engine_reason(s));
		*cerr = tls_engine_error(c);
		*serr = tls_engine_error(s);
		printf("#   client: %d %s\n#   server: %d %s\n", p->client,
		       creason, p->server, sreason);
	}
	tls_engine_free(c);
	tls_engine_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void test_failures(void)
{
	char cr[TLS_REASON_MAX], sr[TLS_REASON_MAX];
	struct t_pump p;
	int ce, se;

	run_fail("client", "server-otherca", CLIENT_ID, SERVER_ID, true, &p, cr,
		 sr, &ce, &se);
	ok(p.client == TLS_FAILED && ce == ECONNREFUSED &&
	   contains(cr, "unable to get local issuer certificate"),
	   "server cert from another CA: client refuses (ECONNREFUSED)");
	ok(p.server == TLS_FAILED && contains(sr, "alert"),
	   "and the server gets the client's alert");
	t_pump_free(&p);

	run_fail("client-expired", "server", CLIENT_ID, SERVER_ID, true, &p, cr,
		 sr, &ce, &se);
	ok(p.server == TLS_FAILED && se == ECONNREFUSED &&
	   contains(sr, "expired"),
	   "expired client cert: server refuses (ECONNREFUSED)");
	t_pump_free(&p);

	run_fail("client", "server-othertd", CLIENT_ID, "spiffe://b.test/server",
		 true, &p, cr, sr, &ce, &se);
	ok(p.client == TLS_FAILED && ce == ECONNREFUSED &&
	   contains(cr, "trust domain \"b.test\" is not ours"),
	   "server ID in another trust domain, right CA: client refuses");
	t_pump_free(&p);

	run_fail("client-othertd", "server", CLIENT_ID, SERVER_ID, false, &p, cr, sr, &ce, &se);
	ok(p.server == TLS_FAILED && se == ECONNREFUSED &&
	   contains(sr, "trust domain \"b.test\" is not ours"),
	   "client ID in another trust domain, right CA: server refuses");
	t_pump_free(&p);

	run_fail("client", "server-nouri", CLIENT_ID, SERVER_ID, false, &p, cr,
		 sr, &ce, &se);
	ok(p.client == TLS_FAILED && ce == ECONNREFUSED &&
	   contains(cr, "0 URI SANs"),
	   "server leaf without URI SAN: client refuses");
	t_pump_free(&p);

	run_fail("client", "server-isca", CLIENT_ID, SERVER_ID, true, &p, cr,
		 sr, &ce, &se);
	ok(p.client == TLS_FAILED && ce == ECONNREFUSED &&
	   contains(cr, "is a CA certificate"),
	   "server leaf that is a CA: client refuses");
	t_pump_free(&p);

	run_fail("client-notyet", "server", CLIENT_ID, SERVER_ID, true, &p, cr,
		 sr, &ce, &se);
	ok(p.server == TLS_FAILED && se == ECONNREFUSED &&
	   contains(sr, "not yet valid"),
	   "not-yet-valid client cert: server refuses");
	t_pump_free(&p);
}

static void test_garbage(void)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const uint8_t fake[] = { 0x16, 0x03, 0x01, 0x00, 0x06,
					0x01, 0x00, 0x00, 0x02, 0xff, 0xff };
	SSL_CTX *sctx = t_ctx(t_path(dir, "server"), NULL, SERVER_ID);
	struct tls_engine *s;
	const uint8_t *out;
	size_t len;

	s = engine(sctx, TLS_ROLE_SERVER, SERVER_ID);
	ok(s && tls_engine_start(s) == TLS_WANT_READ, "server waits for a ClientHello");
	ok(s && tls_engine_feed(s, http, sizeof(http) - 1) == TLS_FAILED &&
	   tls_engine_error(s) == ECONNREFUSED,
	   "HTTP instead of a ClientHello: ECONNREFUSED (%s)",
	   s ? tls_engine_reason(s) : "");
	tls_engine_free(s);

	s = engine(sctx, TLS_ROLE_SERVER, SERVER_ID);
	ok(s && tls_engine_start(s) == TLS_WANT_READ &&
	   tls_engine_feed(s, fake, sizeof(fake)) == TLS_FAILED &&
	   tls_engine_error(s) == ECONNREFUSED,
	   "a broken ClientHello record: ECONNREFUSED (%s)",
	   s ? tls_engine_reason(s) : "");
	out = s ? tls_engine_output(s, &len) : NULL;
	ok(out && len >= 7 && out[0] == 0x15, "and an alert record for the peer");
	tls_engine_free(s);
	SSL_CTX_free(sctx);
}

/* Neither side consumes a byte past the peer's Finished. */
static void test_no_read_past_finished(void)
{
	static const uint8_t extra[] = { 0x17, 0x03, 0x03, 0x00, 0x11,
					 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
					 13, 14, 15, 16, 17 };
	SSL_CTX *cctx = t_ctx(t_path(dir, "client"), NULL, CLIENT_ID);
	SSL_CTX *sctx = t_ctx(t_path(dir, "server"), NULL, SERVER_ID);
	struct tls_engine *c = engine(cctx, TLS_ROLE_CLIENT, CLIENT_ID);
	struct tls_engine *s = engine(sctx, TLS_ROLE_SERVER, SERVER_ID);
	uint8_t rec[256], plain[256], type;
	struct t_wire w = { 0 };
	struct tls_keys sk;
	const uint8_t *out;
	size_t len, rlen;
	char buf[64];
	int n;

	if (!ok(c && s, "engines"))
		goto out;
	ok(tls_engine_start(s) == TLS_WANT_READ && tls_engine_start(c) ==
	   TLS_WANT_READ, "started");
	out = tls_engine_output(c, &len);
	ok(tls_engine_feed(s, out, len) == TLS_WANT_READ, "server took the ClientHello");
	tls_engine_output_clear(c);

	/* The server's whole flight and a record after it, in one feed. */
	out = tls_engine_output(s, &len);
	t_wire_put(&w, out, len);
	tls_engine_output_clear(s);
	t_wire_put(&w, extra, sizeof(extra));
	ok(tls_engine_feed(c, w.buf, w.len) == TLS_DONE,
	   "client completes on the server's flight (%s)", tls_engine_reason(c));
	is_int((long long)tls_engine_unread(c), sizeof(extra),
	       "client left the record after the server's Finished unread");
	t_wire_free(&w);

	/* The client's last flight and its first application record. */
	out = tls_engine_output(c, &len);
	t_wire_put(&w, out, len);
	tls_engine_output_clear(c);
	rlen = app_record(c, "early bytes", rec, sizeof(rec));
	ok(rlen > 0, "client wrote an application record");
	t_wire_put(&w, rec, rlen);
	ok(tls_engine_feed(s, w.buf, w.len) == TLS_DONE,
	   "server completes on the client's flight (%s)", tls_engine_reason(s));
	is_int((long long)tls_engine_unread(s), (long long)rlen,
	       "server left the application record unread");
	out = tls_engine_output(s, &len);
	is_int((long long)len, 0, "server wrote nothing after its Finished (no tickets)");
	ok(tls_engine_keys(s, &sk) == 0, "server keys");
	n = t_decrypt(sk.cipher, sk.rx_key, sk.key_len, sk.rx_iv, 0, rec, rlen,
		      plain, &type);
	ok(n == 11 && memcmp(plain, "early bytes", 11) == 0,
	   "the unread record is kTLS RX's record 0");
	n = SSL_read(tls_engine_ssl(s), buf, sizeof(buf));
	ok(n == 11 && memcmp(buf, "early bytes", 11) == 0,
	   "and OpenSSL reads it intact from where the engine stopped");
	tls_keys_wipe(&sk);
	t_wire_free(&w);
out:
	tls_engine_free(c);
	tls_engine_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);
}

static void test_ctx_and_args(void)
{
	char err[512];
	SSL_CTX *ctx;

	ok(tls_check_ciphersuites(HS_DEFAULT_CIPHERSUITES, err, sizeof(err)) == 0,
	   "default suites are allowed");
	ok(tls_check_ciphersuites("TLS_CHACHA20_POLY1305_SHA256", err,
				  sizeof(err)) == 0, "one suite is allowed");
	ok(tls_check_ciphersuites("TLS_AES_128_CCM_SHA256", err, sizeof(err)) ==
	   -1 && contains(err, "TLS_AES_128_CCM_SHA256"), "CCM is refused");
	ok(tls_check_ciphersuites("TLS_AES_128_GCM_SHA256:", err, sizeof(err)) ==
	   -1, "an empty entry is refused");
	ok(tls_check_ciphersuites("", err, sizeof(err)) == -1,
	   "an empty list is refused");

	ctx = tls_ctx_new(t_path(t_path(dir, "server"), "svid.pem"),
			  t_path(t_path(dir, "server"), "svid_key.pem"),
			  t_path(t_path(dir, "server"), "bundle.pem"), NULL,
			  CLIENT_ID, err, sizeof(err));
	ok(!ctx && contains(err, "is for \"" SERVER_ID "\""),
	   "an SVID for another ID is refused (%s)", err);
	ctx = tls_ctx_new(t_path(t_path(dir, "server"), "svid.pem"),
			  t_path(t_path(dir, "client"), "svid_key.pem"),
			  t_path(t_path(dir, "server"), "bundle.pem"), NULL,
			  SERVER_ID, err, sizeof(err));
	ok(!ctx && contains(err, "mismatch"),
	   "a key that does not match is refused (%s)", err);
	ctx = tls_ctx_new(t_path(dir, "none.pem"),
			  t_path(t_path(dir, "server"), "svid_key.pem"),
			  t_path(t_path(dir, "server"), "bundle.pem"), NULL,
			  SERVER_ID, err, sizeof(err));
	ok(!ctx && contains(err, "none.pem"), "a missing file is named (%s)", err);
	ok(!tls_engine_new(NULL, TLS_ROLE_CLIENT, "spiffe://a.test/..", err,
			   sizeof(err)) && contains(err, "not a SPIFFE ID"),
	   "an engine for a bad local ID is refused");
}

int main(void)
{
	dir = t_tmpdir();
	if (t_ca_init("a.test", t_path(dir, "ca")) ||
	    t_ca_init("a.test", t_path(dir, "ca2")) ||
	    t_ca_issue(CLIENT_ID, t_path(dir, "ca"), t_path(dir, "client"), NULL) ||
	    t_ca_issue(SERVER_ID, t_path(dir, "ca"), t_path(dir, "server"), NULL) ||
	    t_ca_issue(SERVER_ID, t_path(dir, "ca2"), t_path(dir, "server-otherca"), NULL) ||
	    t_ca_issue(CLIENT_ID, t_path(dir, "ca"), t_path(dir, "client-expired"), "--expired") ||
	    t_ca_issue(CLIENT_ID, t_path(dir, "ca"), t_path(dir, "client-notyet"), "--not-yet-valid") ||
	    t_ca_issue("spiffe://b.test/server", t_path(dir, "ca"), t_path(dir, "server-othertd"), NULL) ||
	    t_ca_issue("spiffe://b.test/client", t_path(dir, "ca"), t_path(dir, "client-othertd"), NULL) ||
	    t_ca_issue(SERVER_ID, t_path(dir, "ca"), t_path(dir, "server-nouri"), "--no-uri") ||
	    t_ca_issue(SERVER_ID, t_path(dir, "ca"), t_path(dir, "server-isca"), "--is-ca")) {
		ok(false, "test certificates");
		return tap_done();
	}

	test_suite("TLS_AES_128_GCM_SHA256", TLS_CIPHER_AES_GCM_128, 16);
	test_suite("TLS_AES_256_GCM_SHA384", TLS_CIPHER_AES_GCM_256, 32);
	test_suite("TLS_CHACHA20_POLY1305_SHA256", TLS_CIPHER_CHACHA20_POLY1305, 32);
	test_failures();
	test_garbage();
	test_no_read_past_finished();
	test_ctx_and_args();
	return tap_done();
}
