// SPDX-License-Identifier: GPL-2.0
/*
 * race: applications that hammer a meshed socket during its hand-over.
 *
 *   race [-6] [-b] server PORT
 *   race [-6] [-b] client ADDR PORT CONNECTIONS CONCURRENCY
 *
 * From connect() (client) and accept4() (server) on, each side spins on a
 * non-blocking send() of 4 KiB (-b: a blocking send()), then reads the
 * peer's 4 KiB and checks them byte for byte.  At its first successful
 * send() each side checks that the socket's ULP is "tls": a send that went
 * through before kTLS carried the socket is counted as "notls" (plaintext
 * on the wire).  The client prints the counts and exits 1 unless every
 * connection succeeded with no plaintext send and no corrupt or raw read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LEN 4096

static atomic_int bad, okc, eagains, notls, fails;
static int port, nconn, conc, family = AF_INET, blocking;
static const char *addr;

static void pattern(unsigned char *b, int n, int seed)
{
	for (int i = 0; i < n; i++)
		b[i] = (unsigned char)(seed * 31 + i * 7);
}

static int is_tls(int fd)
{
	char name[16] = "";
	socklen_t l = sizeof(name);

	if (getsockopt(fd, SOL_TCP, TCP_ULP, name, &l) < 0)
		return 0;
	return strcmp(name, "tls") == 0;
}

static int send_all(int fd, const unsigned char *buf, int n)
{
	int flags = MSG_NOSIGNAL | (blocking ? 0 : MSG_DONTWAIT);
	long spins = 0;
	int sent = 0;

	while (sent < n) {
		ssize_t r = send(fd, buf + sent, n - sent, flags);

		if (r > 0) {
			if (!sent && !is_tls(fd))
				atomic_fetch_add(&notls, 1);
			sent += r;
			continue;
		}
		if (errno != EAGAIN && errno != ENOTCONN)
			return -errno;
		if (sent) {
			struct pollfd pfd = { fd, POLLOUT, 0 };

			poll(&pfd, 1, 5000);
		} else if (++spins % 64 == 0) {
			atomic_fetch_add(&eagains, 1);
		}
		if (spins > 50000000)
			return -ETIMEDOUT;
	}
	return 0;
}

static int recv_all(int fd, unsigned char *buf, int n)
{
	int got = 0;

	while (got < n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&pfd, 1, 20000) <= 0)
			return -ETIMEDOUT;
		r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (r > 0)
			got += r;
		else if (r == 0)
			return -EPIPE;
		else if (errno != EAGAIN)
			return -errno;
	}
	return 0;
}

/* One connection's exchange; 0, or the counter to bump. */
static atomic_int *exchange(int fd, int me, int peer)
{
	unsigned char out[LEN], in[LEN], exp[LEN];
	int r;

	pattern(out, LEN, me);
	pattern(exp, LEN, peer);
	r = send_all(fd, out, LEN);
	if (r) {
		fprintf(stderr, "race: send: %s\n", strerror(-r));
		return &fails;
	}
	r = recv_all(fd, in, LEN);
	if (r) {
		fprintf(stderr, "race: recv: %s\n", strerror(-r));
		/* EIO/EBADMSG: kTLS saw raw or corrupt records */
		return r == -EBADMSG || r == -EIO ? &bad : &fails;
	}
	return memcmp(in, exp, LEN) ? &bad : NULL;
}

static void *srv_conn(void *arg)
{
	int fd = (int)(long)arg;
	atomic_int *c = exchange(fd, 2, 1);

	if (c)
		atomic_fetch_add(c, 1);
	close(fd);
	return NULL;
}

static socklen_t sockaddr_of(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (a)
			inet_pton(AF_INET6, a, &s6->sin6_addr);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (void *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (a)
		inet_pton(AF_INET, a, &s4->sin_addr);
	return sizeof(*s4);
}

static int server(void)
{
	int one = 1, l = socket(family, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(&ss, NULL);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(l, (void *)&ss, sl) || listen(l, 512)) {
		perror("race: bind/listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		int fd = accept4(l, NULL, NULL, blocking ? 0 : SOCK_NONBLOCK);
		pthread_t t;

		if (fd < 0)
			continue;
		if (pthread_create(&t, NULL, srv_conn, (void *)(long)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
}

static void *cli_thread(void *arg)
{
	int per = nconn / conc;

	(void)arg;
	for (int i = 0; i < per; i++) {
		int fd = socket(family, SOCK_STREAM | (blocking ? 0 : SOCK_NONBLOCK), 0);
		struct sockaddr_storage ss;
		socklen_t sl = sockaddr_of(&ss, addr);
		atomic_int *c;

		if (connect(fd, (void *)&ss, sl) && errno != EINPROGRESS) {
			fprintf(stderr, "race: connect: %s\n", strerror(errno));
			atomic_fetch_add(&fails, 1);
			close(fd);
			continue;
		}
		c = exchange(fd, 1, 2);
		atomic_fetch_add(c ? c : &okc, 1);
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];

	for (; argc > 1 && argv[1][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[1], "-6"))
			family = AF_INET6;
		else if (!strcmp(argv[1], "-b"))
			blocking = 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "server")) {
		port = atoi(argv[2]);
		return server();
	}
	if (argc < 6 || strcmp(argv[1], "client")) {
		fprintf(stderr, "usage: race [-6] [-b] server PORT | client ADDR PORT N CONC\n");
		return 2;
	}
	addr = argv[2];
	port = atoi(argv[3]);
	nconn = atoi(argv[4]);
	conc = atoi(argv[5]);
	if (conc < 1 || conc > 64 || nconn % conc) {
		fprintf(stderr, "race: CONC must be 1..64 and divide N\n");
		return 2;
	}
	for (int i = 0; i < conc; i++)
		pthread_create(&t[i], NULL, cli_thread, NULL);
	for (int i = 0; i < conc; i++)
		pthread_join(t[i], NULL);
	printf("ok=%d bad=%d notls=%d fails=%d eagain-spins/64=%d\n",
	       okc, bad, notls, fails, eagains);
	return (bad || notls || fails || okc != nconn) ? 1 : 0;
}
