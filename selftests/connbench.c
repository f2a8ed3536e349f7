// SPDX-License-Identifier: GPL-2.0
/*
 * connbench: the programs behind scripts/bench (see docs/bench.md).
 *
 *   connbench server PORT [-6] [--ktls | --tls TLSOPTS] [--nodelay] [--cipher C]
 *   connbench setup ADDR PORT N [--warmup W] [--nodelay] [--samples FILE]
 *                   [--tls TLSOPTS] [--cipher C]
 *   connbench stats FILE
 *   connbench bulk ADDR PORT MBYTES [--reverse] [--ktls] [--cipher C]
 *
 *   TLSOPTS: --cert PEM --key PEM --ca PEM [--peer-id SPIFFE-ID]
 *   C:       aes-128-gcm (default) | aes-256-gcm | chacha20-poly1305
 *   (echo-server and sink are other names of server.)
 *
 * server accepts connections on PORT (IPv4, or IPv6 with -6), one thread
 * each, and serves the commands the client sends, one after the other,
 * until the client closes:
 *   'E'                 echo: the byte comes back
 *   'U' + u64 N (BE)    upload: the server reads N bytes and answers with
 *                       the u64 count it read
 *   'D' + u64 N (BE)    download: the server writes N bytes
 *
 * setup times N sequential connections (after W untimed ones, default 3):
 * socket() + connect() + send 'E' + receive the echo + close(); with --tls
 * an OpenSSL TLS 1.3 mutual handshake (as handshaked runs it: no tickets,
 * groups X25519:P-256, peer certificate required) comes before the echo.
 * Prints "median_us= p90_us= mean_us= min_us= max_us= n=".  --nodelay
 * sets TCP_NODELAY on the client's sockets (or a server's); --samples appends each
 * connection's time in microseconds to FILE, one a line, and stats prints
 * the same line for all the samples in FILE (runs interleaved in rounds).
 *
 * bulk opens one connection, makes one echo round trip (for kmtls: the
 * handshake is over and kTLS carries the connection), then times an upload
 * (or with --reverse a download) of MBYTES MiB in 256 KiB calls.  Prints
 * "mbps= bytes= secs=", MB/s being 10^6 bytes per second.
 *
 * --ktls (server and bulk): both ends install kernel TLS themselves with
 * fixed keys right after the connection is established: TCP_ULP "tls",
 * TLS_TX and TLS_RX, TLS 1.3, record sequence 0.  Client to server: key
 * bytes 0x11, IV/salt bytes 0x22; server to client 0x33 and 0x44.  Raw kTLS,
 * no handshake: the baseline kmtls's data path should match.
 *
 * Times are CLOCK_MONOTONIC.  Exit status 0, 1 on a failure (with a
 * message on stderr), 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/tls.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif

#define CHUNK (256 * 1024)

struct cipher {
	const char *name;
	const char *suite;	/* the TLS 1.3 cipher suite, for OpenSSL */
	int type;		/* TLS_CIPHER_* */
};

static const struct cipher ciphers[] = {
	{ "aes-128-gcm", "TLS_AES_128_GCM_SHA256", TLS_CIPHER_AES_GCM_128 },
	{ "aes-256-gcm", "TLS_AES_256_GCM_SHA384", TLS_CIPHER_AES_GCM_256 },
	{ "chacha20-poly1305", "TLS_CHACHA20_POLY1305_SHA256",
	  TLS_CIPHER_CHACHA20_POLY1305 },
};

static struct {
	int family;
	int ktls;
	int tls;
	int reverse;
	int nodelay;
	int warmup;
	const char *samples;
	const struct cipher *cipher;
	const char *cert, *key, *ca, *peer_id;
} opt = { .family = AF_INET, .warmup = 3, .cipher = &ciphers[0] };

static SSL_CTX *ctx;

static __attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "connbench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void ssl_die(const char *what)
{
	fprintf(stderr, "connbench: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* ---- kernel TLS with fixed keys ----------------------------------------- */

/* dir 0: client to server, 1: server to client. */
static void ktls_set(int fd, int optname, int dir)
{
	unsigned char k = dir ? 0x33 : 0x11, iv = dir ? 0x44 : 0x22;
	union {
		struct tls12_crypto_info_aes_gcm_128 a128;
		struct tls12_crypto_info_aes_gcm_256 a256;
		struct tls12_crypto_info_chacha20_poly1305 chacha;
	} ci;
	socklen_t len;

	memset(&ci, 0, sizeof(ci));
	switch (opt.cipher->type) {
	case TLS_CIPHER_AES_GCM_128:
		memset(ci.a128.key, k, sizeof(ci.a128.key));
		memset(ci.a128.iv, iv, sizeof(ci.a128.iv));
		memset(ci.a128.salt, iv, sizeof(ci.a128.salt));
		len = sizeof(ci.a128);
		break;
	case TLS_CIPHER_AES_GCM_256:
		memset(ci.a256.key, k, sizeof(ci.a256.key));
		memset(ci.a256.iv, iv, sizeof(ci.a256.iv));
		memset(ci.a256.salt, iv, sizeof(ci.a256.salt));
		len = sizeof(ci.a256);
		break;
	default:
		memset(ci.chacha.key, k, sizeof(ci.chacha.key));
		memset(ci.chacha.iv, iv, sizeof(ci.chacha.iv));
		len = sizeof(ci.chacha);
		break;
	}
	/* The info header is the first member of each of them. */
	ci.a128.info.version = TLS_1_3_VERSION;
	ci.a128.info.cipher_type = opt.cipher->type;
	if (setsockopt(fd, SOL_TLS, optname, &ci, len) < 0)
		die("setsockopt(SOL_TLS, %s): %s",
		    optname == TLS_TX ? "TLS_TX" : "TLS_RX", strerror(errno));
}

static void ktls_install(int fd, int server)
{
	if (setsockopt(fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
		die("setsockopt(TCP_ULP, tls): %s", strerror(errno));
	ktls_set(fd, TLS_TX, server);
	ktls_set(fd, TLS_RX, !server);
}

/* ---- OpenSSL, configured as handshaked configures it ------------------- */

static int verify_cb(int ok, X509_STORE_CTX *sctx)
{
	STACK_OF(GENERAL_NAME) *sans;
	X509 *cert;
	int found = 0;

	if (!ok || !opt.peer_id || X509_STORE_CTX_get_error_depth(sctx) != 0)
		return ok;
	/* The leaf must carry exactly the expected URI SAN. */
	cert = X509_STORE_CTX_get_current_cert(sctx);
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);

		if (gn->type == GEN_URI &&
		    (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier) ==
			    strlen(opt.peer_id) &&
		    !memcmp(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
			    opt.peer_id, strlen(opt.peer_id)))
			found = 1;
	}
	GENERAL_NAMES_free(sans);
	return found;
}

static void tls_init(int server)
{
	if (!opt.cert || !opt.key || !opt.ca)
		die("--tls needs --cert, --key and --ca");
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		ssl_die("SSL_CTX_new");
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_ciphersuites(ctx, opt.cipher->suite) ||
	    !SSL_CTX_set1_groups_list(ctx, "X25519:P-256") ||
	    !SSL_CTX_set_num_tickets(ctx, 0))
		ssl_die("configuring the SSL_CTX");
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_read_ahead(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, opt.cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, opt.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		ssl_die("loading the certificate and key");
	if (SSL_CTX_load_verify_locations(ctx, opt.ca, NULL) != 1)
		ssl_die("loading the CA bundle");
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
				SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
}

/* ---- a connection: a socket, or a socket with an SSL ------------------- */

struct conn {
	int fd;
	SSL *ssl;
};

/* Returns bytes read, 0 at the end, -1 on an error. */
static ssize_t conn_read(struct conn *c, void *buf, size_t n)
{
	if (c->ssl) {
		int r = SSL_read(c->ssl, buf, n > INT32_MAX ? INT32_MAX : (int)n);

		return r > 0 ? r : (SSL_get_error(c->ssl, r) ==
				    SSL_ERROR_ZERO_RETURN ? 0 : -1);
	}
	for (;;) {
		ssize_t r = read(c->fd, buf, n);

		if (r >= 0 || errno != EINTR)
			return r;
	}
}

static int conn_read_full(struct conn *c, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = conn_read(c, (char *)buf + got, n - got);

		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int conn_write(struct conn *c, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r;

		if (c->ssl) {
			int w = n - done > CHUNK ? CHUNK : (int)(n - done);

			r = SSL_write(c->ssl, (const char *)buf + done, w);
			if (r <= 0)
				return -1;
		} else {
			r = send(c->fd, (const char *)buf + done, n - done,
				 MSG_NOSIGNAL);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
		}
		done += r;
	}
	return 0;
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void conn_close(struct conn *c)
{
	SSL_free(c->ssl);
	close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

/* ---- server --------------------------------------------------------------- */

static void *serve(void *arg)
{
	struct conn c = { .fd = (int)(intptr_t)arg };
	unsigned char cmd, hdr[8];
	char *buf = NULL;

	if (opt.nodelay)
		setsockopt(c.fd, SOL_TCP, TCP_NODELAY, &opt.nodelay, sizeof(int));
	if (opt.ktls)
		ktls_install(c.fd, 1);
	if (opt.tls) {
		c.ssl = SSL_new(ctx);
		if (!c.ssl || !SSL_set_fd(c.ssl, c.fd))
			goto out;
		if (SSL_accept(c.ssl) != 1) {
			ERR_print_errors_fp(stderr);
			goto out;
		}
	}
	while (conn_read(&c, &cmd, 1) == 1) {
		uint64_t n, done = 0;

		if (cmd == 'E') {
			if (conn_write(&c, &cmd, 1))
				break;
			continue;
		}
		if ((cmd != 'U' && cmd != 'D') || conn_read_full(&c, hdr, 8))
			break;
		n = get_u64(hdr);
		if (!buf && !(buf = calloc(1, CHUNK)))
			break;
		while (done < n) {
			size_t want = n - done > CHUNK ? CHUNK : n - done;
			ssize_t r;

			if (cmd == 'U') {
				r = conn_read(&c, buf, want);
				if (r <= 0)
					break;
			} else {
				if (conn_write(&c, buf, want))
					break;
				r = want;
			}
			done += r;
		}
		if (cmd == 'U') {
			put_u64(hdr, done);
			if (conn_write(&c, hdr, 8))
				break;
		}
		if (done < n)
			break;
	}
out:
	free(buf);
	conn_close(&c);
	return NULL;
}

static __attribute__((noreturn)) void cmd_server(int port)
{
	struct sockaddr_storage ss = { .ss_family = opt.family };
	int one = 1, lfd;

	if (opt.tls)
		tls_init(1);
	if (opt.family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	lfd = socket(opt.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (opt.family == AF_INET6)
		setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&ss, sizeof(ss)) < 0 ||
	    listen(lfd, 128) < 0)
		die("bind/listen on port %d: %s", port, strerror(errno));
	for (;;) {
		pthread_attr_t at;
		pthread_t t;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&t, &at, serve, (void *)(intptr_t)fd)) {
			fprintf(stderr, "connbench: pthread_create failed\n");
			close(fd);
		}
		pthread_attr_destroy(&at);
	}
}

/* ---- clients -------------------------------------------------------------- */

static struct sockaddr_storage peer;
static socklen_t peer_len;

static void resolve(const char *addr, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST }, *ai;
	char ps[16];

	snprintf(ps, sizeof(ps), "%d", port);
	if (getaddrinfo(addr, ps, &hints, &ai))
		die("not a numeric address: %s", addr);
	memcpy(&peer, ai->ai_addr, ai->ai_addrlen);
	peer_len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

/* Connect (and with --tls handshake); returns 0 or dies naming step i. */
static void conn_open(struct conn *c, long i)
{
	c->ssl = NULL;
	c->fd = socket(peer.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("connection %ld: socket: %s", i, strerror(errno));
	if (opt.nodelay)
		setsockopt(c->fd, SOL_TCP, TCP_NODELAY, &opt.nodelay, sizeof(int));
	if (connect(c->fd, (struct sockaddr *)&peer, peer_len) < 0)
		die("connection %ld: connect: %s", i, strerror(errno));
	if (opt.ktls)
		ktls_install(c->fd, 0);
	if (opt.tls) {
		c->ssl = SSL_new(ctx);
		if (!c->ssl || !SSL_set_fd(c->ssl, c->fd))
			ssl_die("SSL_new");
		if (SSL_connect(c->ssl) != 1) {
			fprintf(stderr, "connbench: connection %ld: handshake failed\n", i);
			ssl_die("SSL_connect");
		}
	}
}

static void echo(struct conn *c, long i)
{
	unsigned char b = 'E';

	if (conn_write(c, &b, 1))
		die("connection %ld: send: %s", i, strerror(errno));
	b = 0;
	if (conn_read(c, &b, 1) != 1 || b != 'E')
		die("connection %ld: no echo: %s", i,
		    errno ? strerror(errno) : "end of stream");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Prints the statistics of t[0..n-1] (sorts t). */
static void print_stats(double *t, long n)
{
	double sum = 0;

	qsort(t, n, sizeof(*t), cmp_double);
	for (long i = 0; i < n; i++)
		sum += t[i];
	/* median: the middle value (the mean of the two middle ones for an
	 * even n); p90: the nearest-rank 90th percentile. */
	printf("median_us=%.0f p90_us=%.0f mean_us=%.0f min_us=%.0f max_us=%.0f n=%ld\n",
	       n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2,
	       t[(9 * n + 9) / 10 - 1], sum / n, t[0], t[n - 1], n);
}

static int cmd_setup(const char *addr, int port, long n)
{
	FILE *f = NULL;
	double *t;

	if (n < 1)
		die("N must be at least 1");
	if (opt.tls)
		tls_init(0);
	resolve(addr, port);
	t = calloc(n, sizeof(*t));
	if (!t)
		die("out of memory");
	if (opt.samples && !(f = fopen(opt.samples, "a")))
		die("%s: %s", opt.samples, strerror(errno));
	for (long i = -opt.warmup; i < n; i++) {
		struct conn c;
		double t0 = now_us();

		errno = 0;
		conn_open(&c, i);
		echo(&c, i);
		conn_close(&c);
		if (i >= 0)
			t[i] = now_us() - t0;
	}
	for (long i = 0; f && i < n; i++)
		fprintf(f, "%.1f\n", t[i]);
	if (f && fclose(f))
		die("%s: %s", opt.samples, strerror(errno));
	print_stats(t, n);
	free(t);
	return 0;
}

/* The statistics of the samples in FILE, one a line (setup --samples). */
static int cmd_stats(const char *path)
{
	long n = 0, cap = 1024;
	double *t = malloc(cap * sizeof(*t)), v;
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (t && fscanf(f, "%lf", &v) == 1) {
		if (n == cap)
			t = realloc(t, (cap *= 2) * sizeof(*t));
		if (t)
			t[n++] = v;
	}
	if (!t)
		die("out of memory");
	if (!feof(f) || !n)
		die("%s: no samples or not a number", path);
	fclose(f);
	print_stats(t, n);
	free(t);
	return 0;
}

static int cmd_bulk(const char *addr, int port, long mbytes)
{
	uint64_t total = (uint64_t)mbytes << 20, done = 0;
	unsigned char hdr[9];
	struct conn c;
	double t0, secs;
	char *buf;

	if (mbytes < 1)
		die("MBYTES must be at least 1");
	if (opt.tls)
		tls_init(0);
	resolve(addr, port);
	buf = malloc(CHUNK);
	if (!buf)
		die("out of memory");
	for (int i = 0; i < CHUNK; i++)
		buf[i] = (char)(i * 7);
	errno = 0;
	conn_open(&c, 0);
	echo(&c, 0);	/* for kmtls: the handshake is over, kTLS is on */

	t0 = now_us();
	hdr[0] = opt.reverse ? 'D' : 'U';
	put_u64(hdr + 1, total);
	if (conn_write(&c, hdr, sizeof(hdr)))
		die("send: %s", strerror(errno));
	while (done < total) {
		size_t want = total - done > CHUNK ? CHUNK : total - done;

		if (opt.reverse) {
			ssize_t r = conn_read(&c, buf, want);

			if (r <= 0)
				die("read after %llu bytes: %s",
				    (unsigned long long)done,
				    r ? strerror(errno) : "end of stream");
			done += r;
		} else {
			if (conn_write(&c, buf, want))
				die("send after %llu bytes: %s",
				    (unsigned long long)done, strerror(errno));
			done += want;
		}
	}
	if (!opt.reverse) {
		if (conn_read_full(&c, hdr, 8))
			die("no count from the server: %s", strerror(errno));
		if (get_u64(hdr) != total)
			die("the server read %llu bytes of %llu",
			    (unsigned long long)get_u64(hdr),
			    (unsigned long long)total);
	}
	secs = (now_us() - t0) / 1e6;
	conn_close(&c);
	printf("mbps=%.1f bytes=%llu secs=%.3f\n", total / secs / 1e6,
	       (unsigned long long)total, secs);
	free(buf);
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

static __attribute__((noreturn)) void usage(void)
{
	fprintf(stderr,
		"usage: connbench server PORT [-6] [--ktls | --tls TLSOPTS] [--nodelay] [--cipher C]\n"
		"       connbench setup ADDR PORT N [--warmup W] [--nodelay] [--samples FILE]\n"
		"                       [--tls TLSOPTS] [--cipher C]\n"
		"       connbench stats FILE\n"
		"       connbench bulk ADDR PORT MBYTES [--reverse] [--ktls] [--cipher C]\n"
		"TLSOPTS: --cert PEM --key PEM --ca PEM [--peer-id SPIFFE-ID]\n"
		"C: aes-128-gcm (default), aes-256-gcm, chacha20-poly1305\n");
	exit(2);
}

static long number(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	char *pos[4];
	int npos = 0;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;

		if (!strcmp(a, "-6"))
			opt.family = AF_INET6;
		else if (!strcmp(a, "--ktls"))
			opt.ktls = 1;
		else if (!strcmp(a, "--tls"))
			opt.tls = 1;
		else if (!strcmp(a, "--reverse"))
			opt.reverse = 1;
		else if (!strcmp(a, "--nodelay"))
			opt.nodelay = 1;
		else if (!strcmp(a, "--warmup") && more)
			opt.warmup = (int)number(argv[++i]);
		else if (!strcmp(a, "--cert") && more)
			opt.cert = argv[++i];
		else if (!strcmp(a, "--key") && more)
			opt.key = argv[++i];
		else if (!strcmp(a, "--ca") && more)
			opt.ca = argv[++i];
		else if (!strcmp(a, "--samples") && more)
			opt.samples = argv[++i];
		else if (!strcmp(a, "--peer-id") && more)
			opt.peer_id = argv[++i];
		else if (!strcmp(a, "--cipher") && more) {
			const char *name = argv[++i];
			size_t k;

			for (k = 0; k < sizeof(ciphers) / sizeof(ciphers[0]); k++)
				if (!strcmp(name, ciphers[k].name))
					break;
			if (k == sizeof(ciphers) / sizeof(ciphers[0]))
				usage();
			opt.cipher = &ciphers[k];
		} else if (a[0] == '-' || npos == 4)
			usage();
		else
			pos[npos++] = argv[i];
	}
	if (opt.ktls && opt.tls)
		usage();
	if (npos == 2 && (!strcmp(pos[0], "server") || !strcmp(pos[0], "echo-server") ||
			  !strcmp(pos[0], "sink")))
		cmd_server((int)number(pos[1]));
	if (npos == 4 && !strcmp(pos[0], "setup"))
		return cmd_setup(pos[1], (int)number(pos[2]), number(pos[3]));
	if (npos == 2 && !strcmp(pos[0], "stats"))
		return cmd_stats(pos[1]);
	if (npos == 4 && !strcmp(pos[0], "bulk"))
		return cmd_bulk(pos[1], (int)number(pos[2]), number(pos[3]));
	usage();
}
