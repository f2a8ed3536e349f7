// SPDX-License-Identifier: GPL-2.0
/*
 * epollsrv: the servers of the data-path tests that socat cannot be.
 *
 *   epollsrv echo PORT [-6]         a non-blocking, edge-triggered epoll
 *                                   echo server (accept4 + EAGAIN loops,
 *                                   as nginx and PostgreSQL do)
 *   epollsrv sendfile PORT FILE     for each connection: sendfile() FILE,
 *                                   then close (as nginx serves files)
 *
 * Prints "listening" once it listens; runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int listen_on(int port, int v6)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, l = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (v6)
		setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if ((v6 ? bind(l, (void *)&s6, sizeof(s6)) : bind(l, (void *)&s4, sizeof(s4))) ||
	    listen(l, 128)) {
		perror("epollsrv: bind/listen");
		exit(1);
	}
	printf("listening\n");
	fflush(stdout);
	return l;
}

/* Echo what is readable until EAGAIN (edge-triggered); 1 when done. */
static int echo(int fd)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf)), off = 0;

		if (n == 0)
			return 1;
		if (n < 0)
			return errno != EAGAIN;
		while (off < n) {
			ssize_t w = write(fd, buf + off, n - off);

			if (w < 0 && errno == EAGAIN) {
				usleep(1000);	/* tests send little */
				continue;
			}
			if (w < 0)
				return 1;
			off += w;
		}
	}
}

static __attribute__((noreturn)) int serve_echo(int port, int v6)
{
	int l = listen_on(port, v6), ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.fd = l }, evs[64];

	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == l) {
				int c;

				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					struct epoll_event cev = {
						.events = EPOLLIN | EPOLLRDHUP | EPOLLET,
						.data.fd = c,
					};

					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			if (echo(fd) || (evs[i].events & (EPOLLHUP | EPOLLERR))) {
				epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
				close(fd);
			}
		}
	}
}

static __attribute__((noreturn)) int serve_file(int port, const char *path)
{
	int l = listen_on(port, 0);

	fcntl(l, F_SETFL, 0);
	for (;;) {
		int c = accept(l, NULL, NULL), f;
		struct stat st;
		off_t off = 0;

		if (c < 0)
			continue;
		f = open(path, O_RDONLY);
		if (f >= 0 && !fstat(f, &st)) {
			while (off < st.st_size)
				if (sendfile(c, f, &off, st.st_size - off) <= 0) {
					perror("epollsrv: sendfile");
					break;
				}
		}
		if (f >= 0)
			close(f);
		close(c);
	}
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "echo"))
		return serve_echo(atoi(argv[2]), argc > 3 && !strcmp(argv[3], "-6"));
	if (argc == 4 && !strcmp(argv[1], "sendfile"))
		return serve_file(atoi(argv[2]), argv[3]);
	fprintf(stderr, "usage: epollsrv echo PORT [-6] | sendfile PORT FILE\n");
	return 2;
}
