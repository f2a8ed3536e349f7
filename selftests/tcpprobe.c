// SPDX-License-Identifier: GPL-2.0
/*
 * tcpprobe - connect to ADDR PORT, send a line, read the echo.
 *
 *   tcpprobe [-x] ADDR PORT [TIMEOUT_MS]
 *
 * -f sends the line with TCP Fast Open (sendto(MSG_FASTOPEN)) instead of
 * connect() and send().
 * -x (IPv6 only) puts a destination-options extension header (PadN) on
 * every packet, the SYN included: kmtls must find the TCP header behind it.
 * Prints "OK <ms>" when the echo came back, or "ERR <ERRNO-NAME> <ms>"
 * (e.g. "ERR ECONNREFUSED 3"), where <ms> is how long the attempt took;
 * exits 0 or 1.  IPv6 when ADDR has a colon.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *ename(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET";
	case ECONNABORTED: return "ECONNABORTED";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EPIPE: return "EPIPE";
	case EAGAIN: return "EAGAIN";
	case EIO: return "EIO";
	default: return "EOTHER";
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct timeval tv;
	socklen_t sl;
	char buf[64];
	long t0, tmo;
	ssize_t n;
	int fd, e;

	int exthdr = 0;
	int fastopen = 0;

	if (argc > 1 && !strcmp(argv[1], "-x")) {
		exthdr = 1;
		argv++;
		argc--;
	}
	if (argc > 1 && !strcmp(argv[1], "-f")) {
		fastopen = 1;
		argv++;
		argc--;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: tcpprobe [-x] [-f] ADDR PORT [TIMEOUT_MS]\n");
		return 2;
	}
	tmo = argc > 3 ? atol(argv[3]) : 5000;
	if (strchr(argv[1], ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(atoi(argv[2]));
		if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) != 1)
			return 2;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(argv[2]));
		if (inet_pton(AF_INET, argv[1], &s4->sin_addr) != 1)
			return 2;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (exthdr) {
		/* next header (the kernel fills it), length 0 (8 bytes), PadN */
		unsigned char opt[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };

		if (ss.ss_family != AF_INET6 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, opt, sizeof(opt))) {
			printf("ERR SETUP 0\n");
			return 2;
		}
	}
	tv.tv_sec = tmo / 1000;
	tv.tv_usec = (tmo % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	t0 = now_ms();
	if (fastopen) {
		/* TCP Fast Open: the line goes with the SYN (or a cookie
		 * request SYN first), connect() is implied.
		 */
		if (sendto(fd, "kmtls-probe\n", 12, MSG_FASTOPEN | MSG_NOSIGNAL,
			   (struct sockaddr *)&ss, sl) != 12)
			goto err;
	} else {
		if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
			goto err;
		if (send(fd, "kmtls-probe\n", 12, MSG_NOSIGNAL) != 12)
			goto err;
	}
	n = recv(fd, buf, 12, MSG_WAITALL);
	if (n < 0)
		goto err;
	if (n != 12 || memcmp(buf, "kmtls-probe\n", 12)) {
		printf("ERR BADECHO %ld\n", now_ms() - t0);
		return 1;
	}
	printf("OK %ld\n", now_ms() - t0);
	return 0;
err:
	e = errno;
	printf("ERR %s %ld\n", ename(e), now_ms() - t0);
	return 1;
}
